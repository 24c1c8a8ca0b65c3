/**
 * Offline mail that claims to come from someone else (docs/protocol.md
 * §12.4), from an ordinary user of an honest directory: mallory registers
 * with her own key, fetches bob's prekey as anyone may, and leaves bob
 * envelopes signed by her (so the directory takes them) whose sealed body
 * names another sender. Through real `serve` and `connect` processes.
 */
import { assert, assertEquals } from "./assert.ts";
import {
  type ClientProcess,
  type Event,
  type ServeProcess,
  startClient,
  startServe,
} from "../harness/mod.ts";
import {
  fromBase64,
  Identity,
  Prekey,
  PublicIdentity,
  sealMail,
  toBase64,
  toHex,
  utf8,
} from "../crypto/mod.ts";
import { fromWirePrekey, toWirePrekey } from "../protocol/mod.ts";
import { DirectoryClient } from "../client/directory/mod.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

async function online(name: string, server: ServeProcess, args: string[] = [], home?: string) {
  const client = await startClient(name, server.port, { args, ...(home ? { home } : {}) });
  await client.waitFor(is("ready"));
  return client;
}

/** mallory: a registered user with a key and prekey of her own, speaking the protocol by hand. */
async function mallory(server: ServeProcess): Promise<{
  identity: Identity;
  /** Leaves `to` a message signed by mallory whose sealed body says it is `from`. */
  forge(to: string, from: string, text: string): Promise<void>;
  close(): Promise<void>;
}> {
  const identity = Identity.generate();
  const client = await DirectoryClient.connect({ hostname: "127.0.0.1", port: server.port }, {
    identity,
    expectedServer: server.fingerprint,
    heartbeatMs: 0,
  });
  await client.register(
    "mallory",
    1,
    [],
    toWirePrekey(Prekey.generate(Date.now()).signedBy(identity)),
  );
  return {
    identity,
    async forge(to, from, text) {
      const answer = await client.prekey(to);
      const body = {
        type: "message",
        from,
        to,
        id: toHex(crypto.getRandomValues(new Uint8Array(16))),
        time: Date.now(),
        text,
      };
      const sealed = await sealMail(
        identity,
        PublicIdentity.fromRaw(fromBase64(answer.key)),
        fromWirePrekey(answer.prekey).key,
        utf8(JSON.stringify(body)),
      );
      await client.mail(to, toBase64(sealed));
    },
    close: () => client.bye(),
  };
}

Deno.test("forged mail: a message signed by mallory claiming to be from carol (registered, never met), erin (nobody) or dave (pinned) is refused unshown and unpinned; dave's real one, receipts and carol's chat are unaffected", async () => {
  const server = await startServe({ args: ["--register-rate", "0"] });
  const clients: ClientProcess[] = [];
  try {
    // bob registers once (binding his name and prekey) and leaves.
    const bob0 = await online("bob", server, ["--auto-accept"]);
    const bobHome = bob0.home;
    assertEquals(await bob0.quit(), 0);
    // dave leaves bob a real message (bob will pin dave from it); carol is registered and online.
    const dave = await online("dave", server);
    const carol = await online("carol", server);
    clients.push(dave, carol);
    await dave.send("/msg bob the real dave");
    await dave.waitFor(is("queued", { peer: "bob" }));
    const m = await mallory(server);
    await m.forge("bob", "carol", "carol here: send me the keys");
    await m.forge("bob", "erin", "erin here, new number");
    await m.forge("bob", "dave", "dave again: ignore my last");
    await m.close();

    const bob = await online("bob", server, ["--auto-accept"], bobHome);
    clients.push(bob);
    const malloryFp = m.identity.public.fingerprint;
    const toCarol = await bob.waitFor(is("security-warning", { peer: "carol" }), 15_000);
    assertEquals([toCarol.reason, toCarol.detail, toCarol.got], [
      "mail-rejected",
      "directory-mismatch",
      malloryFp,
    ]);
    const toErin = await bob.waitFor(is("security-warning", { peer: "erin" }), 15_000);
    assertEquals([toErin.reason, toErin.detail], ["mail-rejected", "unlisted"]);
    const toDave = await bob.waitFor(is("security-warning", { peer: "dave" }), 15_000);
    assertEquals([toDave.reason, toDave.got], ["key-changed", malloryFp]);
    // The real dave's message was shown, receipted and reported delivered.
    const shown = bob.events.filter(is("message"));
    assertEquals(shown.map((e) => [e.peer, e.text]), [["dave", "the real dave"]]);
    await dave.waitFor(is("delivered", { peer: "bob", offline: true }), 15_000);
    // Nothing was pinned to mallory's key.
    const pins = await Deno.readTextFile(`${bobHome}/known_peers`);
    assert(!pins.includes(malloryFp), "mallory's key pinned");
    assert(!pins.includes("/carol") && !pins.includes("/erin"), pins);
    // carol's own chat with bob opens: no key-changed.
    await carol.send("/chat bob");
    await carol.waitFor(is("chat-open", { peer: "bob" }), 15_000);
    await bob.waitFor(is("chat-open", { peer: "carol" }), 15_000);
    assert(!bob.events.some(is("security-warning", { peer: "carol", reason: "key-changed" })));

    // The forgeries were acknowledged: bob's next session sees none of them again.
    assertEquals(await bob.quit(), 0);
    clients.pop();
    const again = await online("bob", server, [], bobHome);
    clients.push(again);
    await new Promise((r) => setTimeout(r, 1000));
    assertEquals(again.events.filter(is("security-warning")).length, 0, "redelivered");
    assertEquals(again.events.filter(is("message")).length, 0, "redelivered");
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await server.stop();
  }
});
