import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import {
  acceptChannel,
  connTransport,
  Identity,
  initiateChannel,
  memoryPair,
  type SecureChannel,
} from "../../crypto/mod.ts";
import { nameKey, parseName } from "../../protocol/mod.ts";
import { Chat } from "./chat.ts";
import { MAX_IN_FLIGHT } from "./delivery_ledger.ts";
import { ChatError } from "../core/mod.ts";
import type { ClientEvent } from "../core/mod.ts";
import { MAX_TEXT_LENGTH } from "./peer_messages.ts";

type Side = { chat: Chat; events: ClientEvent[]; channel: SecureChannel };

/** A chat with `peer` over `channel`, recording its events. */
function side(channel: SecureChannel, peer: string, more: { id?: string } = {}): Side {
  const events: ClientEvent[] = [];
  const name = parseName(peer);
  const chat = new Chat(
    { name, key: nameKey(name), fingerprint: channel.peer.fingerprint, sas: channel.sas },
    channel,
    {
      path: more.id ? "relay" : "direct",
      sink: { emit: (e) => events.push(e) },
      ...more,
    },
  );
  return { chat, events, channel };
}

async function pair(): Promise<[Side, Side]> {
  const [a, b] = memoryPair();
  const [ca, cb] = await Promise.all([
    initiateChannel(a, Identity.generate()),
    acceptChannel(b, Identity.generate()),
  ]);
  return [side(ca, "bob"), side(cb, "alice")];
}

const of = (events: ClientEvent[], type: string) => events.filter((e) => e.type === type);

Deno.test("Chat refuses a message that is too long or one too many, with its code", async () => {
  const [alice, bob] = await pair();
  let thrown: unknown;
  try {
    alice.chat.send("x".repeat(MAX_TEXT_LENGTH + 1));
  } catch (error) {
    thrown = error;
  }
  assert(thrown instanceof ChatError && thrown.code === "too-long");
  bob.channel.abort(); // bob never acknowledges anything
  await bob.chat.ended;
  await alice.chat.ended;
  await assertRejects(
    () => Promise.resolve().then(() => alice.chat.send("late")),
    ChatError,
    "chat-ended",
  );
  assertEquals(MAX_IN_FLIGHT, 1000);
});

Deno.test("Chat: an end right after sending still reports delivered what the peer showed", async () => {
  const [alice, bob] = await pair();
  const id = alice.chat.send("one");
  await alice.chat.end();
  await bob.chat.ended;
  assertEquals(of(bob.events, "message").map((e) => (e as { text: string }).text), ["one"]);
  assertEquals(of(alice.events, "delivered").map((e) => (e as { id: string }).id), [id]);
  assertEquals(of(alice.events, "undelivered"), []);
  assertEquals(alice.events.at(-1), { type: "chat-closed", peer: "bob", reason: "eom", by: "you" });
  assertEquals(bob.events.at(-1), {
    type: "chat-closed",
    peer: "alice",
    reason: "eom",
    by: "peer",
  });
});

Deno.test("Chat: a peer's message with a bad time is refused with a warning; nothing crashes", async () => {
  const [alice, bob] = await pair();
  await bob.channel.send(
    new TextEncoder().encode(JSON.stringify({ type: "msg", id: "m1", text: "x", time: 1e20 })),
  );
  await alice.chat.ended;
  const warning = of(alice.events, "security-warning")[0] as { reason: string; detail: string };
  assertEquals(warning.reason, "peer-protocol");
  assertEquals(warning.detail, '"time" must be a time a date can hold');
  assertEquals(of(alice.events, "message"), []);
  assertEquals(alice.events.at(-1), {
    type: "chat-closed",
    peer: "bob",
    reason: "security",
    by: "peer",
    detail: "peer-protocol",
  });
  await bob.chat.ended;
});

Deno.test("Chat: a cut connection is connection-lost with exactly the unacknowledged messages", async () => {
  const [alice, bob] = await pair();
  alice.chat.send("lost one");
  bob.channel.abort(); // before bob's chat could read it
  await bob.chat.ended;
  await alice.chat.ended;
  const undelivered = of(alice.events, "undelivered")[0] as { ids: string[]; texts: string[] };
  assertEquals([undelivered.ids, undelivered.texts], [["m1"], ["lost one"]]);
  assertEquals((alice.events.at(-1) as { reason: string }).reason, "connection-lost");
});

/** A channel pair over a real loopback TCP connection (resets and unread bytes are real). */
async function tcpPair(a: Identity, b: Identity): Promise<[SecureChannel, SecureChannel]> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const [dialed, accepted] = await Promise.all([
      Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
      listener.accept(),
    ]);
    return await Promise.all([
      initiateChannel(connTransport(dialed), a),
      acceptChannel(connTransport(accepted), b),
    ]);
  } finally {
    listener.close();
  }
}

Deno.test("Chat.migrate: both sides moving one after the other under a flood both ways lose, repeat and end nothing", async () => {
  const [ia, ib] = [Identity.generate(), Identity.generate()];
  const [oldA, oldB] = await tcpPair(ia, ib);
  // A relayed chat (it has an id, to be moved by).
  const [alice, bob] = [side(oldA, "bob", { id: "c1" }), side(oldB, "alice", { id: "c1" })];
  const N = 900;
  const [newA, newB] = await tcpPair(ia, ib);
  for (let i = 0; i < N / 3; i++) {
    alice.chat.send(`a ${i}`);
    bob.chat.send(`b ${i}`);
  }
  // As in a move: the side that answers `resume` moves first, the dialer on `resumed`; the
  // dialer's messages keep coming on the old connection until it moves.
  alice.chat.migrate(newA, "direct");
  for (let i = N / 3; i < N; i++) {
    alice.chat.send(`a ${i}`);
    bob.chat.send(`b ${i}`);
    if (i % 100 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  bob.chat.migrate(newB, "direct");
  const texts = (s: Side) => s.events.flatMap((e) => e.type === "message" ? [e.text] : []);
  const delivered = (s: Side) =>
    new Set(of(s.events, "delivered").map((e) => (e as { id: string }).id)).size;
  for (let i = 0; i < 100 && (delivered(alice) < N || delivered(bob) < N); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assertEquals(of([...alice.events, ...bob.events], "chat-closed"), [], "no chat ended");
  assertEquals(
    texts(bob),
    Array.from({ length: N }, (_, i) => `a ${i}`),
    "alice's: once, in order",
  );
  assertEquals(
    texts(alice),
    Array.from({ length: N }, (_, i) => `b ${i}`),
    "bob's: once, in order",
  );
  assertEquals([delivered(alice), delivered(bob)], [N, N], "every message reported delivered");
  assertEquals([alice.chat.path, bob.chat.path], ["direct", "direct"]);
  await Promise.all([alice.chat.end(), bob.chat.end()]);
});
