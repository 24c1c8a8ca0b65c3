/**
 * Moving a relayed chat to a direct connection (docs/protocol.md §11.1),
 * attacked from outside: alice is a real `connect` process; bob is written
 * here by hand so that the test can say every word on both connections.
 * bob registers a port that refuses connections, so alice's direct attempt
 * fails at once, the chat opens through the relay, and her own attempts to
 * go direct keep failing: only what bob (or mallory) does moves the chat.
 */
import { assert, assertEquals } from "./assert.ts";
import { type ClientProcess, type Event, startClient, startServe } from "../harness/mod.ts";
import {
  acceptChannel,
  connTransport,
  Identity,
  initiateChannel,
  type SecureChannel,
} from "../crypto/mod.ts";
import { DirectoryClient, joinRelay } from "../client/directory/mod.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

const say = (channel: SecureChannel, message: object): Promise<void> =>
  channel.send(new TextEncoder().encode(JSON.stringify(message)));

/** The next peer message on `channel`, or null once it closed. */
async function hear(channel: SecureChannel): Promise<Record<string, unknown> | null> {
  const bytes = await channel.receive(AbortSignal.timeout(10_000)).catch(() => null);
  return bytes === null ? null : JSON.parse(new TextDecoder().decode(bytes));
}

type Scene = {
  alice: ClientProcess;
  bob: Identity;
  /** bob's end of the relayed chat. */
  relayed: SecureChannel;
  /** The chat's id, from alice's hello. */
  chatId: string;
  /** Dials alice's listening port directly as `who` and says `resume`; returns the channel. */
  resume(who: Identity, chat: string): Promise<SecureChannel>;
};

/** alice (a real client with `aliceArgs`) opens a chat to bob, which runs through the relay. */
async function relayedChat(aliceArgs: string[], fn: (scene: Scene) => Promise<void>) {
  const server = await startServe();
  const alice = await startClient("alice", server.port, { args: aliceArgs });
  const bob = Identity.generate();
  const offer = Promise.withResolvers<{ token: string }>();
  const directory = await DirectoryClient.connect({ hostname: "127.0.0.1", port: server.port }, {
    identity: bob,
    expectedServer: server.fingerprint,
    heartbeatMs: 0,
    onRelayOffer: (o) => offer.resolve(o),
  });
  const refusing = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = refusing.addr.port;
  refusing.close();
  const opened: SecureChannel[] = [];
  try {
    await directory.register("bob", deadPort);
    const ready = await alice.waitFor(is("ready"));
    const alicePort = Number(String(ready.listen).split(":").pop());
    await alice.send("/chat bob");
    const { token } = await offer.promise;
    const relayed = await acceptChannel(
      await joinRelay({ hostname: "127.0.0.1", port: server.port }, token),
      bob,
    );
    opened.push(relayed);
    const hello = await hear(relayed);
    assertEquals(hello?.type, "hello");
    await say(relayed, { type: "accept" });
    await alice.waitFor(is("chat-open", { peer: "bob", path: "relay" }));
    const resume = async (who: Identity, chat: string) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: alicePort });
      const channel = await initiateChannel(connTransport(conn), who);
      opened.push(channel);
      await say(channel, { type: "resume", name: "bob", chat });
      return channel;
    };
    await fn({ alice, bob, relayed, chatId: String(hello?.chat), resume });
  } finally {
    opened.forEach((c) => c.abort());
    await directory.bye().catch(() => {});
    await alice.kill();
    await server.stop();
  }
}

Deno.test("moving a chat: only the chat's key naming the chat's id moves it; nothing is lost, repeated or reordered", async () => {
  await relayedChat(["--auto-accept"], async ({ alice, bob, relayed, chatId, resume }) => {
    await say(relayed, { type: "msg", id: "m1", text: "one", time: Date.now() });
    await say(relayed, { type: "msg", id: "m2", text: "two", time: Date.now() });
    await alice.waitFor(is("message", { peer: "bob", text: "two" }));
    // alice writes on the relay; bob never acknowledges it there.
    await alice.send("/msg bob over the relay");
    assertEquals((await hear(relayed))?.type, "ack"); // m1
    assertEquals((await hear(relayed))?.type, "ack"); // m2
    assertEquals((await hear(relayed))?.text, "over the relay");

    // mallory proves her own key and names bob's chat (its id, somehow learnt): declined.
    const mallory = await resume(Identity.generate(), chatId);
    assertEquals(await hear(mallory), { type: "decline", reason: "busy" });
    assertEquals(await hear(mallory), null, "and the connection closed");
    // bob's own key naming another chat: declined.
    const wrongId = await resume(bob, "0".repeat(32));
    assertEquals(await hear(wrongId), { type: "decline", reason: "busy" });

    const direct = await resume(bob, chatId);
    assertEquals(await hear(direct), { type: "resumed" });
    await alice.waitFor(is("path-changed", { peer: "bob", path: "direct" }));
    // alice sends again what bob had not acknowledged, on the new connection.
    assertEquals((await hear(direct))?.text, "over the relay");
    // ...and says `moved` on the relay, which it keeps open (and reads) until bob says it too.
    assertEquals(await hear(relayed), { type: "moved" });
    await say(relayed, { type: "moved" });
    assertEquals(await hear(relayed), null);
    assertEquals(relayed.state, { kind: "closed", by: "peer" }, "a clean close, not a cut");
    // bob sends m2 again (as a mover does with what was not acknowledged) and m3.
    await say(direct, { type: "msg", id: "m2", text: "two", time: Date.now() });
    await say(direct, { type: "msg", id: "m3", text: "three", time: Date.now() });
    await say(direct, { type: "ack", id: "m1" });
    await alice.waitFor(is("message", { peer: "bob", text: "three" }));
    await alice.waitFor(is("delivered", { peer: "bob", text: "over the relay" }));
    const shown = alice.events.filter(is("message", { peer: "bob" })).map((e) => e.text);
    assertEquals(shown, ["one", "two", "three"], "each once, in order");

    // A chat that is direct already does not move again.
    const again = await resume(bob, chatId);
    assertEquals(await hear(again), { type: "decline", reason: "busy" });
    await alice.send("/msg bob still here");
    let next = await hear(direct);
    while (next?.type === "ack") next = await hear(direct);
    assertEquals(next?.text, "still here");
    assertEquals(alice.events.filter(is("path-changed")).length, 1);
    assert(!alice.events.some(is("chat-closed")), JSON.stringify(alice.events));
  });
});

Deno.test("moving a chat: with --relay always a peer's resume is declined and the chat stays relayed", async () => {
  await relayedChat(
    ["--auto-accept", "--relay", "always"],
    async ({ alice, bob, relayed, chatId, resume }) => {
      const direct = await resume(bob, chatId);
      assertEquals(await hear(direct), { type: "decline", reason: "busy" });
      await say(relayed, { type: "msg", id: "m1", text: "still relayed", time: Date.now() });
      await alice.waitFor(is("message", { peer: "bob", text: "still relayed" }));
      assert(!alice.events.some(is("path-changed")), JSON.stringify(alice.events));
    },
  );
});

Deno.test("moving a chat: a peer that says moved and never moves ends the chat as lost within 10 s", async () => {
  await relayedChat(["--auto-accept"], async ({ alice, relayed }) => {
    await alice.send("/msg bob are you there");
    assertEquals((await hear(relayed))?.text, "are you there");
    const waitStarted = performance.now();
    await say(relayed, { type: "moved" });
    await relayed.close();
    const closed = await alice.waitFor(is("chat-closed", { peer: "bob" }), 15_000);
    const waited = performance.now() - waitStarted;
    assertEquals([closed.reason, closed.by], ["connection-lost", "network"]);
    assert(waited >= 9_000, `alice waited ${waited.toFixed(0)} ms for the move`);
    const undelivered = alice.events.find(is("undelivered", { peer: "bob" }));
    assertEquals(undelivered?.texts, ["are you there"]);
  });
});
