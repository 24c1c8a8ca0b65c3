import { assert, assertEquals } from "../../tests/assert.ts";
import { type Fingerprint, Identity, Prekey, toBase64, utf8 } from "../../crypto/mod.ts";
import { DirectoryError, type Name, parseName, toWirePrekey } from "../../protocol/mod.ts";
import type { TrustView } from "../trust/mod.ts";
import type { Pin } from "../trust/mod.ts";
import type { MailBody } from "./mail_body.ts";
import { SEEN_KEEP_MS } from "./mail_book.ts";
import type { MailAction, PrekeyAnswer } from "./mail_events.ts";
import { MAX_MAIL_TEXT_BYTES } from "./mail_events.ts";
import { MailRoom } from "./mail_room.ts";

const NOW = 1_800_000_000_000;
const me = Identity.generate();
const bob = Identity.generate();
const mallory = Identity.generate();

/** A view of `pins` (folded name → key) as the rules read it, for "alice". */
function view(pins: Record<string, Fingerprint> = {}): TrustView {
  return {
    self: { name: parseName("alice"), fingerprint: me.public.fingerprint },
    pin: (name: Name): Pin | undefined =>
      pins[name.toLowerCase()]
        ? { fingerprint: pins[name.toLowerCase()], verified: false }
        : undefined,
    pinnedUnderOtherNames: (name, fingerprint) =>
      Object.entries(pins).filter(([n, f]) => f === fingerprint && n !== name.toLowerCase()).map(
        ([n]) => n,
      ),
  };
}

function answer(name: string, owner: Identity, signer = owner): PrekeyAnswer {
  return {
    name,
    key: toBase64(owner.public.key),
    prekey: toWirePrekey(Prekey.generate(NOW).signedBy(signer)),
  };
}

const bytes = (body: MailBody) => utf8(JSON.stringify(body));
const message = (from: string, more: Partial<MailBody> = {}): MailBody =>
  ({
    type: "message",
    from,
    to: "alice",
    id: "ab".repeat(16),
    time: NOW - 1000,
    text: "hi",
    ...more,
  }) as MailBody;
const of = <T extends MailAction["type"]>(actions: MailAction[], type: T) =>
  actions.filter((a) => a.type === type) as Extract<MailAction, { type: T }>[];
const shown = (actions: MailAction[]) => of(actions, "show").map((a) => a.event);

Deno.test("MailRoom seals only once the key is the pinned one and the prekey is signed by it", () => {
  const room = new MailRoom(parseName("alice"), view({ bob: bob.public.fingerprint }));
  const job = room.job();
  const asked = room.handle({
    type: "send",
    job,
    to: parseName("bob"),
    text: "hi",
    id: "ab".repeat(16),
    time: NOW,
  });
  assertEquals(asked, [{ type: "ask-prekey", job, name: "bob" }]);
  const sealed = room.handle({ type: "prekey", job, answer: answer("bob", bob) });
  assertEquals(sealed.map((a) => a.type), ["seal"], "pinned already: nothing to pin");
  const deposit = room.handle({ type: "sealed", job, sealed: new Uint8Array(100) });
  assertEquals(deposit.map((a) => a.type), ["deposit"]);
  const record = room.handle({ type: "deposited", job, expires: NOW + 1 });
  assertEquals(of(record, "record")[0].message.peer, "bob");
  const done = room.handle({ type: "recorded", job });
  assertEquals(shown(done).map((e) => e.type), ["queued"]);
  assertEquals(done.at(-1), { type: "done", job });

  // The directory swaps bob's key (and a prekey signed by it) for mallory's: refused.
  const swapped = room.job();
  room.handle({
    type: "send",
    job: swapped,
    to: parseName("bob"),
    text: "hi",
    id: "cd".repeat(16),
    time: NOW,
  });
  const refused = room.handle({ type: "prekey", job: swapped, answer: answer("bob", mallory) });
  assertEquals(shown(refused).map((e) => e.type === "security-warning" && e.reason), [
    "key-changed",
  ]);
  assertEquals(of(refused, "seal"), []);
  assertEquals(of(refused, "trust").map((a) => a.action.type), ["note-changed"]);
  // bob's key, but a prekey someone else signed.
  const forged = room.job();
  room.handle({
    type: "send",
    job: forged,
    to: parseName("bob"),
    text: "hi",
    id: "ef".repeat(16),
    time: NOW,
  });
  const bad = room.handle({ type: "prekey", job: forged, answer: answer("bob", bob, mallory) });
  assertEquals(shown(bad).map((e) => e.type === "security-warning" && e.reason), [
    "prekey-invalid",
  ]);
  assertEquals(bad.at(-1), { type: "done", job: forged });
});

Deno.test("MailRoom pins a recipient met for the first time, never yourself, and refuses what cannot fit", () => {
  const room = new MailRoom(parseName("alice"), view());
  const job = room.job();
  room.handle({
    type: "send",
    job,
    to: parseName("bob"),
    text: "hi",
    id: "ab".repeat(16),
    time: NOW,
  });
  const actions = room.handle({ type: "prekey", job, answer: answer("Bob", bob) });
  assertEquals(of(actions, "trust").map((a) => [a.action.type, a.action.name]), [["pin", "Bob"]]);
  assertEquals(of(actions, "seal")[0].body.to, "Bob", "the directory's spelling");
  const self = room.job();
  assertEquals(
    room.handle({
      type: "send",
      job: self,
      to: parseName("ALICE"),
      text: "x",
      id: "ab".repeat(16),
      time: NOW,
    }),
    [{
      type: "done",
      job: self,
      problem: { code: "self", problem: "self", name: "ALICE", command: "/msg" },
    }],
  );
  const long = room.job();
  const tooLong = room.handle({
    type: "send",
    job: long,
    to: parseName("bob"),
    text: "x".repeat(MAX_MAIL_TEXT_BYTES + 1),
    id: "ab".repeat(16),
    time: NOW,
  });
  assertEquals(of(tooLong, "done")[0].problem?.code, "too-long");
});

Deno.test("MailRoom reports a deposit the directory will not hold as undelivered, and other failures to the command", () => {
  const room = new MailRoom(parseName("alice"), view({ bob: bob.public.fingerprint }));
  const job = room.job();
  room.handle({
    type: "send",
    job,
    to: parseName("bob"),
    text: "hi",
    id: "ab".repeat(16),
    time: NOW,
  });
  room.handle({ type: "prekey", job, answer: answer("bob", bob) });
  room.handle({ type: "sealed", job, sealed: new Uint8Array(10) });
  const full = new DirectoryError("mailbox-full", "bob's mailbox is full");
  const actions = room.handle({ type: "failed", job, error: full });
  assertEquals(shown(actions), [{
    type: "undelivered",
    peer: "bob",
    ids: ["ab".repeat(16)],
    texts: ["hi"],
    reason: "mailbox-full",
    message: "bob's mailbox is full",
  }]);
  const other = room.job();
  room.handle({
    type: "send",
    job: other,
    to: parseName("nobody"),
    text: "hi",
    id: "ab".repeat(16),
    time: NOW,
  });
  const notFound = new DirectoryError("not-found", "Nobody is called nobody");
  assertEquals(room.handle({ type: "failed", job: other, error: notFound }), [
    { type: "done", job: other, error: notFound },
  ]);
});

Deno.test("MailRoom handles held mail one at a time, proves its sender, then receipts once and acknowledges", () => {
  const room = new MailRoom(parseName("alice"), view());
  const [j1, j2] = [room.job(), room.job()];
  const first = room.handle({
    type: "arrived",
    job: j1,
    mail: { id: 7, sealed: "one", stored: NOW },
    now: NOW,
  });
  assertEquals(first, [{ type: "open", job: j1, sealed: "one" }]);
  assertEquals(
    room.handle({
      type: "arrived",
      job: j2,
      mail: { id: 8, sealed: "two", stored: NOW },
      now: NOW,
    }),
    [],
  );
  assertEquals(room.desk, "handling");
  // From bob, never met: the directory's binding must say bob's key.
  const ask = room.handle({
    type: "opened",
    job: j1,
    sender: bob.public,
    body: bytes(message("bob")),
  });
  assertEquals(ask, [{ type: "ask-binding", job: j1, name: "bob", presence: false }]);
  const proven = room.handle({
    type: "binding",
    job: j1,
    binding: { kind: "prekey", answer: answer("bob", bob) },
  });
  assertEquals(proven.map((a) => a.type), ["trust", "first-sight"]);
  const next = room.handle({ type: "seen", job: j1, first: true });
  assertEquals(shown(next).map((e) => e.type), ["message"]);
  assertEquals(next.at(-1), { type: "open", job: j2, sealed: "two" });
  // The same message again (delivered twice): acknowledged, not shown.
  room.handle({ type: "opened", job: j2, sender: bob.public, body: bytes(message("bob")) });
  room.handle({
    type: "binding",
    job: j2,
    binding: { kind: "prekey", answer: answer("bob", bob) },
  });
  const settle = room.handle({ type: "seen", job: j2, first: false });
  assertEquals(shown(settle), []);
  const [receipt] = of(settle, "ask-prekey");
  assert(receipt, JSON.stringify(settle));
  assertEquals(room.desk, "settling");
  // Mail that comes meanwhile waits for the receipts.
  const j3 = room.job();
  assertEquals(
    room.handle({
      type: "arrived",
      job: j3,
      mail: { id: 9, sealed: "three", stored: NOW },
      now: NOW,
    }),
    [],
  );
  const seal = room.handle({ type: "prekey", job: receipt.job, answer: answer("bob", bob) });
  assertEquals(of(seal, "seal")[0].body.type, "receipt");
  room.handle({ type: "sealed", job: receipt.job, sealed: new Uint8Array(10) });
  const after = room.handle({ type: "deposited", job: receipt.job, expires: NOW });
  assertEquals(after, [{ type: "ack", ids: [7, 8] }, { type: "open", job: j3, sealed: "three" }]);
});

Deno.test("MailRoom refuses, unshown and acknowledged, mail not for us, too old, from the future, from yourself or from a stranger's key", () => {
  const cases: [MailBody, Identity, string][] = [
    [message("bob", { to: "carol" }), bob, "not-for-me"],
    [message("bob", { time: NOW - SEEN_KEEP_MS - 1 }), bob, "too-old"],
    [message("bob", { time: NOW + 2 * 24 * 3600 * 1000 }), bob, "from-the-future"],
    [message("alice"), me, "self"],
    [message("bob"), mallory, "key-changed"],
  ];
  for (const [body, signer, detail] of cases) {
    const room = new MailRoom(parseName("alice"), view({ bob: bob.public.fingerprint }));
    const job = room.job();
    room.handle({ type: "arrived", job, mail: { id: 1, sealed: "x", stored: NOW }, now: NOW });
    const actions = room.handle({ type: "opened", job, sender: signer.public, body: bytes(body) });
    const warning = shown(actions)[0];
    assert(warning?.type === "security-warning", JSON.stringify(actions));
    assertEquals(warning.reason === "mail-rejected" ? warning.detail : warning.reason, detail);
    assertEquals(actions.at(-1), { type: "ack", ids: [1] }, detail);
  }
});

Deno.test("MailRoom leaves mail unacknowledged while the directory cannot say who holds the name", () => {
  const room = new MailRoom(parseName("alice"), view());
  const job = room.job();
  room.handle({ type: "arrived", job, mail: { id: 3, sealed: "x", stored: NOW }, now: NOW });
  room.handle({ type: "opened", job, sender: bob.public, body: bytes(message("bob")) });
  assertEquals(room.handle({ type: "binding", job, binding: { kind: "later" } }), []);
  assertEquals(room.desk, "idle");
  // A name nobody holds: nothing proves who sent it.
  const again = room.job();
  room.handle({ type: "arrived", job: again, mail: { id: 4, sealed: "x", stored: NOW }, now: NOW });
  room.handle({ type: "opened", job: again, sender: bob.public, body: bytes(message("bob")) });
  const none = room.handle({ type: "binding", job: again, binding: { kind: "none" } });
  assertEquals(shown(none).map((e) => e.type === "security-warning" && e.detail), ["unlisted"]);
  assertEquals(none.at(-1), { type: "ack", ids: [4] });
});
