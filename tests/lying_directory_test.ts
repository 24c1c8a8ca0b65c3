/**
 * A directory that lies, through real client processes: every answer that
 * would put a name on the wrong key, a key on the wrong name, or an offer
 * under someone else's name is caught. For each, the client warns, opens
 * nothing, changes no pin, and nothing typed reaches the attacker.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { type ClientProcess, type Event, startClient } from "../harness/mod.ts";
import { type FakeDirectory, startFakeDirectory } from "./fake_directory.ts";
import { Identity, initiateChannel, toBase64 } from "../crypto/mod.ts";
import { joinRelay } from "../client/directory/mod.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

type World = {
  directory: FakeDirectory;
  alice: ClientProcess;
  carol: ClientProcess;
  mallory: ClientProcess;
};

/** alice, carol and mallory on a fake directory; alice has chatted with carol and verified her. */
async function world(fn: (w: World) => Promise<void>): Promise<void> {
  const directory = startFakeDirectory();
  const args = ["--server-key", directory.identity.public.fingerprint, "--auto-accept"];
  const clients: ClientProcess[] = [];
  try {
    for (const name of ["alice", "carol", "mallory"]) {
      const c = await startClient(name, directory.port, { args });
      clients.push(c);
      await c.waitFor(is("ready"));
    }
    const [alice, carol, mallory] = clients;
    await alice.send("/chat carol");
    await alice.waitFor(is("chat-open", { peer: "carol" }));
    await alice.send("/verify carol");
    await alice.waitFor(is("verified", { peer: "carol" }));
    await alice.send("EOM");
    await alice.waitFor(is("chat-closed", { peer: "carol" }));
    await carol.waitFor(is("chat-closed", { peer: "alice" }));
    await fn({ directory, alice, carol, mallory });
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    directory.close();
  }
}

/** Runs `command` as alice and checks the warning, that nothing opened and no pin moved. */
async function caught(
  w: World,
  command: string,
  expected: { reason: string; problem?: string },
): Promise<Event> {
  const pins = join(w.alice.home, "known_peers");
  const before = await Deno.readTextFile(pins);
  const [fromAlice, fromMallory, fromCarol] = [w.alice, w.mallory, w.carol].map((c) =>
    c.events.length
  );
  await w.alice.send(command);
  const warning = await w.alice.waitFor(is("security-warning"), 10_000, fromAlice);
  assertEquals(warning.reason, expected.reason, JSON.stringify(warning));
  if (expected.problem) assertEquals(warning.problem, expected.problem, JSON.stringify(warning));
  // Anything typed now goes nowhere: no chat is open.
  await w.alice.send("the vault code is 4711");
  await w.alice.waitFor(is("error", { code: "bad-command" }), 10_000, fromAlice);
  assert(!w.alice.events.slice(fromAlice).some(is("chat-open")), "nothing opened");
  for (const other of [w.mallory, w.carol]) {
    const since = other === w.mallory ? fromMallory : fromCarol;
    assert(!other.events.slice(since).some((e) => e.type === "chat-request"), "no request");
    assert(!other.events.slice(since).some(is("message")), "no text reached anyone");
  }
  assertEquals(await Deno.readTextFile(pins), before, "no pin changed");
  return warning;
}

Deno.test("a lying directory: another user's entry for the name asked is refused", async () => {
  await world(async (w) => {
    // The attack from the report: /chat dave, answered with mallory's entry named carol.
    w.directory.answer = (asked) =>
      asked === "dave" ? { ...w.directory.users.get("mallory")!, name: "carol" } : undefined;
    const warning = await caught(w, "/chat dave", {
      reason: "directory-inconsistent",
      problem: "wrong-name",
    });
    assertEquals(warning.named, "carol");
    await caught(w, "/whois dave", { reason: "directory-inconsistent", problem: "wrong-name" });
    // And carol is still carol: her pinned, verified key opens the next chat.
    w.directory.answer = () => undefined;
    await w.alice.send("/chat carol");
    const open = await w.alice.waitFor(
      is("chat-open", { peer: "carol" }),
      10_000,
      w.alice.events.length - 1,
    );
    assertEquals(open.verified, true);
  });
});

Deno.test("a lying directory: a known key under a new name, a bad name, a fingerprint that is not the key's", async () => {
  await world(async (w) => {
    const carol = w.directory.users.get("carol")!;
    const mallory = w.directory.users.get("mallory")!;
    w.directory.answer = (asked) => asked === "dave" ? { ...carol, name: "dave" } : undefined;
    await caught(w, "/chat dave", { reason: "directory-inconsistent", problem: "key-of-another" });
    w.directory.answer = (asked) =>
      asked === "dave" ? { ...mallory, name: "dave\u001b]0;owned\u0007" } : undefined;
    await caught(w, "/chat dave", { reason: "directory-inconsistent", problem: "bad-name" });
    w.directory.answer = (asked) =>
      asked === "dave" ? { ...mallory, name: "dave", fingerprint: carol.fingerprint } : undefined;
    await caught(w, "/chat dave", {
      reason: "directory-inconsistent",
      problem: "fingerprint-mismatch",
    });
    w.directory.answer = (asked) =>
      asked === "dave" ? { ...mallory, name: "dave", address: "evil.example" } : undefined;
    await caught(w, "/chat dave", { reason: "directory-inconsistent", problem: "bad-address" });
  });
});

Deno.test("a lying directory: a list with renamed and malformed entries shows only the sound ones, with warnings", async () => {
  await world(async (w) => {
    w.directory.lie = (u) =>
      u.name === "mallory"
        ? { ...u, name: "carol" } // a second "carol"
        : u.name === "alice"
        ? { ...u, key: toBase64(new Uint8Array(32).fill(9)) }
        : u;
    const from = w.alice.events.length;
    await w.alice.send("/list");
    const users = await w.alice.waitFor(is("users"), 10_000, from);
    assertEquals((users.users as { name: string }[]).map((u) => u.name), ["carol"]);
    assertEquals(
      (users.users as { fingerprint: string }[])[0].fingerprint,
      w.directory.users.get("carol")!.fingerprint,
    );
    const warnings = w.alice.events.slice(from).filter(is("security-warning"));
    assertEquals(warnings.map((e) => e.problem).sort(), ["duplicate", "fingerprint-mismatch"]);
  });
});

Deno.test("a lying directory: a relay offer naming someone else is refused", async () => {
  await world(async (w) => {
    const from = w.carol.events.length;
    // The directory tells carol that "alice" wants to meet; mallory's own client comes instead.
    const token = await w.directory.offer("carol", "alice");
    const attacker = Identity.generate();
    const transport = await joinRelay({ hostname: "127.0.0.1", port: w.directory.port }, token);
    const channel = await initiateChannel(transport, attacker);
    await channel.send(
      new TextEncoder().encode(JSON.stringify({ type: "hello", name: "mallory" })),
    );
    const warning = await w.carol.waitFor(is("security-warning"), 10_000, from);
    assertEquals(warning.reason, "relay-mismatch");
    assertEquals(warning.named, "alice");
    assert(!w.carol.events.slice(from).some((e) => e.type === "chat-request"));
    assert(!w.carol.events.slice(from).some(is("chat-open")));
    const answer = JSON.parse(new TextDecoder().decode((await channel.receive())!));
    assertEquals(answer, { type: "decline", reason: "security" });
    channel.abort();
  });
});
