import { assert, assertEquals } from "../../tests/assert.ts";
import type { Fingerprint } from "../../crypto/mod.ts";
import { type Name, parseName } from "../../protocol/mod.ts";
import type { BookAction, RequestInfo } from "./book_events.ts";
import { ChatBook } from "./chat_book.ts";
import { MAX_PENDING_REQUESTS } from "./book_events.ts";
import { REQUEST_TIMEOUT_MS } from "./requests.ts";

const alice = parseName("alice");
const bob = parseName("bob");
const carol = parseName("carol");
const FP = "ab".repeat(32) as Fingerprint;

function book(options: { autoAccept?: boolean; mail?: boolean } = {}): ChatBook<string> {
  return new ChatBook<string>({
    self: alice,
    autoAccept: options.autoAccept ?? false,
    mail: options.mail ?? true,
    reads: { verified: (name) => name === "carol", pathOf: () => "direct" },
  });
}

const types = (actions: BookAction<string>[]) => actions.map((a) => a.type);
const find = <T extends BookAction<string>["type"]>(actions: BookAction<string>[], type: T) =>
  actions.find((a) => a.type === type) as Extract<BookAction<string>, { type: T }> | undefined;
const info = (link: string, more: Partial<RequestInfo<string>> = {}): RequestInfo<string> => ({
  fingerprint: FP,
  known: "new",
  path: "direct",
  sas: "123 456",
  link,
  ...more,
});

/** alice asks `name`, who is reached on `link` and accepts; returns the chat's id. */
function opened(b: ChatBook<string>, name: Name, link: string): number {
  const dial = find(b.handle({ type: "chat", name, now: 0 }), "dial")!;
  b.handle({ type: "reached", request: dial.request, info: info(link, { chatId: "c1" }) });
  return find(b.handle({ type: "answered", request: dial.request, answer: "accept" }), "open")!
    .chat;
}

Deno.test("ChatBook refuses a chat or a message to yourself, in any case, and asks nobody", () => {
  const b = book();
  for (const name of ["alice", "ALICE", "Alice"]) {
    assertEquals(b.handle({ type: "chat", name: parseName(name), now: 0 }), [
      { type: "fail", problem: { code: "self", problem: "self", name, command: "/chat" } },
    ]);
  }
  assertEquals(types(b.handle({ type: "msg", name: parseName("ALICE"), text: "hi" })), ["fail"]);
  assertEquals(b.knownNames, [], "no request was booked");
});

Deno.test("ChatBook: /chat dials, says hello on the winning path only, and opens on accept", () => {
  const b = book();
  const asked = b.handle({ type: "chat", name: bob, now: 0 });
  assertEquals(types(asked), ["dial", "timer"]);
  assertEquals(find(asked, "timer")?.at, REQUEST_TIMEOUT_MS);
  const request = find(asked, "dial")!.request;
  const reached = b.handle({ type: "reached", request, info: info("L", { chatId: "c1" }) });
  assertEquals(reached[0], {
    type: "say",
    link: "L",
    message: { type: "hello", name: alice, chat: "c1" },
  });
  assertEquals(types(reached), ["say", "show", "await-answer"]);
  assertEquals(types(b.handle({ type: "chat", name: bob, now: 1 })), ["fail"], "already asking");
  const accepted = b.handle({ type: "answered", request, answer: "accept" });
  assertEquals(types(accepted), ["open", "show", "timer"]);
  assertEquals(find(accepted, "show")?.event, {
    type: "chat-open",
    peer: "bob",
    fingerprint: FP,
    sas: "123 456",
    firstContact: true,
    verified: false,
    path: "direct",
  });
  assertEquals(b.view, { self: alice, chat: bob });
  assertEquals(b.handle({ type: "say", text: "hi" }), [
    { type: "send", chat: find(accepted, "open")!.chat, text: "hi" },
  ]);
});

Deno.test("ChatBook: after the peer leaves, lines go to them as mail, online or not, until a chat opens", () => {
  const b = book();
  const chat = opened(b, bob, "L");
  b.handle({ type: "chat-closing", chat });
  assertEquals(b.view, { self: alice, chat: bob }, "still current while it closes");
  b.handle({ type: "chat-over", chat, by: "peer" });
  assertEquals(b.view, { self: alice, mail: bob });
  assertEquals(b.handle({ type: "say", text: "are you back?" }), [
    { type: "mail", to: bob, text: "are you back?", unlessOnline: false },
  ]);
  // /msg still asks first: someone online is to be chatted with.
  assertEquals(b.handle({ type: "msg", name: bob, text: "x" }), [
    { type: "mail", to: bob, text: "x", unlessOnline: true },
  ]);
  // bob comes back and asks to chat: once accepted, lines go to the chat again.
  const request = b.handle({ type: "incoming", name: bob, info: info("M"), now: 5 });
  assertEquals(types(request), ["timer", "watch", "show"]);
  assertEquals(b.view, { self: alice, mail: bob }, "a request changes nothing yet");
  const accepted = b.handle({ type: "accept", name: bob });
  assertEquals(types(accepted), ["say", "open", "show", "timer"]);
  assertEquals(b.view, { self: alice, chat: bob });
});

Deno.test("ChatBook: a chat you ended sends nothing anywhere; without mail, neither does one the peer left", () => {
  const b = book();
  const chat = opened(b, bob, "L");
  assertEquals(b.handle({ type: "eom" }), [{ type: "end", chat }]);
  assertEquals(b.view, { self: alice }, "the prompt stops naming it at once");
  b.handle({ type: "chat-over", chat, by: "you" });
  assertEquals(types(b.handle({ type: "say", text: "hello?" })), ["fail"]);
  const noMail = book({ mail: false });
  const other = opened(noMail, bob, "L");
  noMail.handle({ type: "chat-over", chat: other, by: "peer" });
  assertEquals(noMail.view, { self: alice });
});

Deno.test("ChatBook: with two chats, the one that ends hands the line to the other", () => {
  const b = book();
  opened(b, bob, "L1");
  const withCarol = opened(b, carol, "L2");
  b.handle({ type: "chat-over", chat: withCarol, by: "peer" });
  assertEquals(b.view, { self: alice, chat: bob });
  const listing = find(b.handle({ type: "chats" }), "show")!.event;
  assertEquals(listing, {
    type: "chats",
    chats: [{ peer: "bob", state: "open", current: true, verified: false, path: "direct" }],
  });
});

Deno.test("ChatBook: an incoming request is shown, declined on /decline, and cancelled when its initiator speaks", () => {
  const b = book();
  const shown = b.handle({ type: "incoming", name: bob, info: info("L"), now: 0 });
  const watch = find(shown, "watch")!;
  assertEquals(find(shown, "show")?.event, {
    type: "chat-request",
    peer: "bob",
    fingerprint: FP,
    known: "new",
    path: "direct",
  });
  assertEquals(b.handle({ type: "decline", name: bob }).slice(0, 2), [
    { type: "say", link: "L", message: { type: "decline", reason: "user" }, close: true },
    {
      type: "show",
      event: { type: "chat-closed", peer: "bob", reason: "declined", by: "you", detail: "user" },
    },
  ]);
  assertEquals(b.handle({ type: "watch-ended", request: watch.request }), [], "answered already");
  const again = b.handle({ type: "incoming", name: carol, info: info("M"), now: 0 });
  const cancelled = b.handle({ type: "watch-ended", request: find(again, "watch")!.request });
  assertEquals(types(cancelled), ["abort", "show", "timer"]);
  assertEquals(types(b.handle({ type: "accept", name: carol })), ["fail"], "no request now");
});

Deno.test("ChatBook: past MAX_PENDING_REQUESTS a request hears busy; with --auto-accept it opens at once", () => {
  const b = book();
  for (let i = 0; i < MAX_PENDING_REQUESTS; i++) {
    b.handle({
      type: "incoming",
      name: parseName(`p${i}`),
      info: info(`L${i}`, { source: `s${i}` }),
      now: 0,
    });
  }
  assertEquals(
    b.handle({ type: "incoming", name: bob, info: info("X", { source: "s0" }), now: 0 }),
    [{ type: "say", link: "X", message: { type: "decline", reason: "busy" }, close: true }],
  );
  const auto = book({ autoAccept: true });
  const actions = auto.handle({ type: "incoming", name: bob, info: info("L"), now: 0 });
  assert(types(actions).includes("open"), JSON.stringify(actions));
  assertEquals(auto.view, { self: alice, chat: bob });
});

Deno.test("ChatBook: requests expire on the tick; an outgoing one says nobody answered", () => {
  const b = book();
  b.handle({ type: "incoming", name: bob, info: info("L"), now: 0 });
  const dial = find(b.handle({ type: "chat", name: carol, now: 10 }), "dial")!;
  b.handle({ type: "reached", request: dial.request, info: info("M") });
  assertEquals(types(b.handle({ type: "tick", now: REQUEST_TIMEOUT_MS - 1 })), ["timer"]);
  const expired = b.handle({ type: "tick", now: REQUEST_TIMEOUT_MS + 10 });
  assertEquals(expired, [
    { type: "say", link: "L", message: { type: "decline", reason: "timeout" }, close: true },
    { type: "show", event: { type: "notice", notice: { code: "request-expired", peer: "bob" } } },
    { type: "abort", link: "M" },
    {
      type: "show",
      event: {
        type: "chat-closed",
        peer: "carol",
        reason: "declined",
        by: "peer",
        detail: "timeout",
      },
    },
    { type: "timer", at: undefined },
  ]);
  assertEquals(b.handle({ type: "answered", request: dial.request, answer: "timeout" }), []);
});

Deno.test("ChatBook: quit declines what waits, cancels what was asked, ends every chat, and turns newcomers away", () => {
  const b = book();
  const chat = opened(b, carol, "C");
  b.handle({ type: "incoming", name: bob, info: info("L"), now: 0 });
  const dial = find(b.handle({ type: "chat", name: parseName("dave"), now: 0 }), "dial")!;
  const quit = b.handle({ type: "quit" });
  assertEquals(types(quit), ["say", "show", "timer", "end", "timer"]);
  assertEquals(find(quit, "end")?.chat, chat);
  // The dial that was under way comes back: its connection is dropped without a word.
  assertEquals(b.handle({ type: "reached", request: dial.request, info: info("D") }), [
    { type: "abort", link: "D" },
  ]);
  assertEquals(
    types(b.handle({ type: "incoming", name: parseName("eve"), info: info("E"), now: 1 })),
    [
      "say",
    ],
  );
  assert(b.quitting);
});
