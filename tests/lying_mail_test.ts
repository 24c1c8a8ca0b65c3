/**
 * A directory that lies about offline mail (docs/protocol.md §11), through
 * real client processes: it alters a held message, replays one, swaps a
 * prekey for one it made, and forges a receipt. Each is caught; nothing
 * false is shown, and nothing is sealed to a key it chose.
 */
import { assert, assertEquals } from "./assert.ts";
import { type ClientProcess, type Event, startClient } from "../harness/mod.ts";
import { type FakeDirectory, startFakeDirectory } from "./fake_directory.ts";
import {
  fromBase64,
  Identity,
  Prekey,
  PublicIdentity,
  sealMail,
  toBase64,
  utf8,
} from "../crypto/mod.ts";
import { fromWirePrekey, toWirePrekey } from "../protocol/mod.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

type World = { directory: FakeDirectory; alice: ClientProcess; bobHome: string; args: string[] };

/** bob registered once (his prekey is at the directory) and left; alice is online. */
async function world(fn: (w: World) => Promise<void>): Promise<void> {
  const directory = startFakeDirectory();
  const args = ["--server-key", directory.identity.public.fingerprint];
  const bobHome = await Deno.makeTempDir();
  const clients: ClientProcess[] = [];
  try {
    const bob = await startClient("bob", directory.port, { args, home: bobHome });
    await bob.waitFor(is("ready"));
    assertEquals(await bob.quit(), 0);
    const alice = await startClient("alice", directory.port, { args });
    clients.push(alice);
    await alice.waitFor(is("ready"));
    await fn({ directory, alice, bobHome, args });
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    directory.close();
  }
}

async function bobComesBack(w: World): Promise<ClientProcess> {
  const bob = await startClient("bob", w.directory.port, { args: w.args, home: w.bobHome });
  await bob.waitFor(is("ready"));
  return bob;
}

const quiet = (ms = 700) => new Promise((r) => setTimeout(r, ms));

Deno.test("lying mail: a held message altered by the directory is refused as tampered, never shown", async () => {
  await world(async (w) => {
    await w.alice.send("/msg bob meet at the north gate");
    await w.alice.waitFor(is("queued"));
    const held = w.directory.held.get("bob")!;
    const bytes = fromBase64(held[0].sealed);
    bytes[bytes.length - 30] ^= 0x01;
    held[0] = { ...held[0], sealed: toBase64(bytes) };
    const bob = await bobComesBack(w);
    const warning = await bob.waitFor(is("security-warning", { reason: "mail-rejected" }));
    assertEquals(warning.detail, "tampered");
    await quiet();
    assertEquals(bob.events.filter(is("message")).length, 0);
    assertEquals(w.alice.events.filter(is("delivered")).length, 0, "no receipt for it");
    assertEquals(w.directory.held.get("bob"), [], "acknowledged: it would never open");
    await bob.kill();
  });
});

Deno.test("lying mail: a message the directory delivers again is shown once", async () => {
  await world(async (w) => {
    await w.alice.send("/msg bob only once");
    await w.alice.waitFor(is("queued"));
    const sealed = w.directory.held.get("bob")![0].sealed;
    const bob = await bobComesBack(w);
    await bob.waitFor(is("message", { text: "only once", offline: true }));
    await w.alice.waitFor(is("delivered", { peer: "bob", offline: true }));
    await w.directory.deliver("bob", sealed); // replayed while online
    await quiet();
    assertEquals(await bob.quit(), 0);
    // ...and again after a restart of bob's client.
    w.directory.held.set("bob", [{ id: 999, sealed, stored: Date.now() }]);
    const again = await bobComesBack(w);
    await quiet(1000);
    assertEquals(again.events.filter(is("message")).length, 0, "replay after restart shown");
    assertEquals(bob.events.filter(is("message")).length, 1, "replay while online shown");
    await again.kill();
  });
});

Deno.test("lying mail: a prekey the directory made is refused and nothing is sealed to it", async () => {
  await world(async (w) => {
    // The directory keeps bob's key but hands out a prekey it holds the private half of.
    const fake = Prekey.generate(Date.now());
    const real = w.directory.prekeys.get("bob")!;
    w.directory.liePrekey = (_asked, entry) => ({
      ...entry,
      prekey: { ...toWirePrekey(fake.signedBy(w.directory.identity)) },
    });
    await w.alice.send("/msg bob for your eyes only");
    const warning = await w.alice.waitFor(is("security-warning", { peer: "bob" }));
    assertEquals(warning.reason, "prekey-invalid");
    // A prekey with a signature copied from the real one: also refused.
    w.directory.liePrekey = (_asked, entry) => ({
      ...entry,
      prekey: { ...real.prekey, key: toBase64(fake.public) },
    });
    await w.alice.send("/msg bob for your eyes only");
    await w.alice.waitFor(
      is("security-warning", { peer: "bob", reason: "prekey-invalid" }),
      10_000,
      w.alice.events.indexOf(warning) + 1,
    );
    await quiet();
    assertEquals(w.directory.deposits.length, 0, "nothing was sealed");
    assertEquals(w.alice.events.filter(is("queued")).length, 0);
  });
});

Deno.test("lying mail: a directory that swaps bob's key and prekey for its own is caught by alice's pin", async () => {
  await world(async (w) => {
    await w.alice.send("/msg bob first, to pin bob");
    await w.alice.waitFor(is("queued"));
    const mallory = Identity.generate();
    const prekey = Prekey.generate(Date.now());
    w.directory.liePrekey = (_asked, entry) => ({
      ...entry,
      key: toBase64(mallory.public.key),
      prekey: toWirePrekey(prekey.signedBy(mallory)),
    });
    await w.alice.send("/msg bob second");
    const warning = await w.alice.waitFor(is("security-warning", { peer: "bob" }));
    assertEquals(warning.reason, "key-changed");
    assertEquals(warning.got, mallory.public.fingerprint);
    await quiet();
    assertEquals(w.directory.deposits.length, 1, "the second was not sealed to mallory");
  });
});

Deno.test("lying mail: a receipt the directory forges does not mark a message delivered", async () => {
  await world(async (w) => {
    await w.alice.send("/msg bob did you get this?");
    const queued = await w.alice.waitFor(is("queued"));
    const alicePrekey = w.directory.prekeys.get("alice")!;
    const aliceKey = PublicIdentity.fromRaw(fromBase64(alicePrekey.key));
    const receipt = (from: string) =>
      utf8(JSON.stringify({
        type: "receipt",
        from,
        to: "alice",
        ids: [queued.id],
        time: Date.now(),
      }));
    // Signed by the directory's own key, naming bob.
    const forged = await sealMail(
      w.directory.identity,
      aliceKey,
      fromWirePrekey(alicePrekey.prekey).key,
      receipt("bob"),
    );
    await w.directory.deliver("alice", toBase64(forged));
    // The same with bob's key written into the header: the seal no longer opens.
    const relabelled = forged.slice();
    relabelled.set(fromBase64(w.directory.prekeys.get("bob")!.key), 1);
    await w.directory.deliver("alice", toBase64(relabelled));
    const warnings = [
      await w.alice.waitFor(is("security-warning")),
    ];
    await quiet(1000);
    warnings.push(...w.alice.events.filter(is("security-warning")).slice(1));
    assertEquals(warnings.length, 2, JSON.stringify(warnings));
    assertEquals(w.alice.events.filter(is("delivered")).length, 0, "a forged receipt counted");
    await w.alice.send("/mail");
    const mail = await w.alice.waitFor(is("mail"));
    assertEquals((mail.messages as { id: string }[]).map((m) => m.id), [queued.id]);
    assert(warnings.some((e) => e.detail === "tampered"), JSON.stringify(warnings));
  });
});

Deno.test("hostile sender: a message dated days ahead is refused, not shown with a false date", async () => {
  await world(async (w) => {
    const zed = Identity.generate();
    const alicePrekey = w.directory.prekeys.get("alice")!;
    const message = (time: number) =>
      utf8(JSON.stringify({
        type: "message",
        from: "zed",
        to: "alice",
        id: "ab".repeat(16),
        time,
        text: "from the future",
      }));
    const sealed = await sealMail(
      zed,
      PublicIdentity.fromRaw(fromBase64(alicePrekey.key)),
      fromWirePrekey(alicePrekey.prekey).key,
      message(Date.now() + 10 * 86_400_000),
    );
    await w.directory.deliver("alice", toBase64(sealed));
    const warning = await w.alice.waitFor(is("security-warning", { reason: "mail-rejected" }));
    assertEquals(warning.detail, "from-the-future");
    assertEquals(warning.got, zed.public.fingerprint);
    await quiet();
    assertEquals(w.alice.events.filter(is("message")).length, 0);
  });
});
