import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { acceptChannel, Identity, initiateChannel, memoryPair } from "../crypto/mod.ts";
import { Chat, ChatError, MAX_UNACKED } from "./chat.ts";
import type { ClientEvent } from "./events.ts";
import { MAX_TEXT_LENGTH } from "./peer_messages.ts";

async function chatWithSilentPeer(): Promise<{ chat: Chat; events: ClientEvent[] }> {
  const [a, b] = memoryPair();
  const [channel] = await Promise.all([
    initiateChannel(a, Identity.generate()),
    acceptChannel(b, Identity.generate()),
  ]);
  const events: ClientEvent[] = [];
  const peer = {
    name: "bob",
    fingerprint: channel.peer.fingerprint,
    sas: channel.sas,
    path: "direct" as const,
  };
  const chat = new Chat(peer, channel, {
    sink: { emit: (e) => events.push(e) },
    onClose: () => {},
  });
  return { chat, events };
}

Deno.test("Chat refuses a message over the length bound, naming it", async () => {
  const { chat } = await chatWithSilentPeer();
  const error = await assertRejects(
    () => chat.send("x".repeat(MAX_TEXT_LENGTH + 1)),
    ChatError,
    "too-long",
  );
  assert(error.message.includes(String(MAX_TEXT_LENGTH)));
  await chat.end();
});

Deno.test("Chat stops at MAX_UNACKED unacknowledged messages, lists them when it ends, and ending never hangs on a peer that does not read", async () => {
  const { chat, events } = await chatWithSilentPeer();
  for (let i = 0; i < MAX_UNACKED; i++) await chat.send(`m ${i}`);
  await assertRejects(() => chat.send("one too many"), ChatError, "too-many-unacked");
  await chat.end("connection-lost");
  await chat.ended;
  const undelivered = events.find((e) => e.type === "undelivered");
  assertEquals(undelivered?.type === "undelivered" ? undelivered.ids.length : 0, MAX_UNACKED);
});
