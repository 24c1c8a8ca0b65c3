import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { interceptedPair, passThrough } from "../tests/interceptor.ts";
import { acceptChannel, initiateChannel } from "./channel.ts";
import { DRAIN_LINGER_MS, type SecureChannel } from "./secure_channel.ts";
import { concatBytes, utf8 } from "./bytes.ts";
import {
  HandshakeError,
  HandshakeTimeout,
  PeerBusy,
  RecordError,
  UnexpectedPeerKey,
  VersionMismatch,
} from "./errors.ts";
import { encodeFrame, FrameReader, FrameType, HEADER_LENGTH } from "./frame.ts";
import { Identity } from "./identity.ts";
import { UnrevealedEphemeral } from "./ecdh.ts";
import { memoryPair, type Transport } from "./transport.ts";
import { MAX_MESSAGE } from "./message_batch.ts";
import { SEND_HIGH_WATER } from "./record_writer.ts";
import { busyReply, MAX_BUSY_RETRY_MS } from "./handshake.ts";

const alice = Identity.generate();
const bob = Identity.generate();
const mallory = Identity.generate();

async function connected(
  a: Transport,
  b: Transport,
  options: { recordLimit?: number } = {},
): Promise<[SecureChannel, SecureChannel]> {
  return await Promise.all([initiateChannel(a, alice, options), acceptChannel(b, bob, options)]);
}

const text = (bytes: Uint8Array | null): string =>
  bytes === null ? "<closed>" : new TextDecoder().decode(bytes);

Deno.test("channel carries messages both ways and both ends learn the peer and the same SAS", async () => {
  const [a, b] = memoryPair();
  const [ca, cb] = await connected(a, b);
  assertEquals(ca.peer.fingerprint, bob.public.fingerprint);
  assertEquals(cb.peer.fingerprint, alice.public.fingerprint);
  assertEquals(ca.sas, cb.sas);
  assert(/^\d{3} \d{3}$/.test(ca.sas));
  await ca.send(utf8("hello bob"));
  assertEquals(text(await cb.receive()), "hello bob");
  await cb.send(utf8("hello alice"));
  assertEquals(text(await ca.receive()), "hello alice");
  const big = crypto.getRandomValues(new Uint8Array(MAX_MESSAGE));
  const [, got] = await Promise.all([ca.send(big), cb.receive()]);
  assertEquals(got, big);
  await Promise.all([ca.close(), cb.receive().then((m) => assertEquals(m, null))]);
});

Deno.test("channel refuses a message over 64 KiB before sending anything", async () => {
  const [a, b] = memoryPair();
  const [ca] = await connected(a, b);
  let thrown: unknown;
  try {
    await ca.send(new Uint8Array(MAX_MESSAGE + 1));
  } catch (error) {
    thrown = error;
  }
  assert(thrown instanceof RangeError);
});

Deno.test("channel keeps the order of overlapping sends of mixed sizes", async () => {
  const [a, b] = memoryPair();
  const [ca, cb] = await connected(a, b);
  const sizes = [10, 20_000, 5, 60_000, 1, 9_000, 3];
  const sent = sizes.map((size, i) => new Uint8Array(size).fill(i));
  const receiving = (async () => {
    const got: Uint8Array[] = [];
    for (let i = 0; i < sent.length; i++) got.push((await cb.receive())!);
    return got;
  })();
  await Promise.all(sent.map((m) => ca.send(m)));
  assertEquals(await receiving, sent);
});

Deno.test("small messages sent in a burst share records and arrive intact and in order", async () => {
  const { a, b, wire } = interceptedPair(passThrough);
  const [ca, cb] = await connected(a, b);
  const before = wire.length;
  const messages = Array.from({ length: 500 }, (_, i) => utf8(`message ${i}`));
  await Promise.all(messages.map((m) => ca.send(m)));
  for (const m of messages) assertEquals(text(await cb.receive()), text(m));
  assert(
    wire.length - before < messages.length / 2,
    `500 messages took ${wire.length - before} records`,
  );
});

Deno.test("a send made just as the writer finishes is never stranded", async () => {
  const [inner, b] = memoryPair();
  let lastWrite: Promise<void> = Promise.resolve();
  const a: Transport = {
    read: () => inner.read(),
    write: (bytes) => lastWrite = inner.write(bytes),
    close: () => inner.close(),
  };
  const [ca, cb] = await connected(a, b);
  await ca.send(utf8("first"));
  // Queued behind the writer's own wait on the same write: runs right after the writer
  // has found nothing more to do, the moment a stale "writer running" flag would strand it.
  lastWrite.then(() => ca.send(utf8("second")));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) =>
    timer = setTimeout(() => reject(new Error("stranded")), 3000)
  );
  try {
    assertEquals(text(await Promise.race([cb.receive(), deadline])), "first");
    assertEquals(text(await Promise.race([cb.receive(), deadline])), "second");
  } finally {
    clearTimeout(timer);
  }
});

Deno.test("the bytes on the wire do not contain the plaintext", async () => {
  const { a, b, wire } = interceptedPair(passThrough);
  const [ca, cb] = await connected(a, b);
  const secret = "attack at dawn, the password is swordfish";
  await Promise.all([ca.send(utf8(secret)), cb.receive()]);
  const all = new TextDecoder("latin1").decode(concatBytes(...wire));
  assert(!all.includes("swordfish"));
  assert(!all.includes("attack at dawn"));
});

/** Sends three records a->b through `hook` (applied to the records only) and returns b's failure. */
async function attackRecords(
  hook: (index: number, frame: Uint8Array) => Uint8Array[],
): Promise<RecordError> {
  const handshakeFrames = { "a->b": 3, "b->a": 2 };
  const { a, b } = interceptedPair((direction, index, frame) =>
    direction === "a->b" && index >= handshakeFrames[direction] ? hook(index - 3, frame) : [frame]
  );
  const [ca, cb] = await connected(a, b);
  // One record each: send when the previous write is done, so nothing is batched.
  const sending = (async () => {
    for (const word of ["one", "two", "three"]) {
      await ca.send(utf8(word));
      await new Promise((r) => setTimeout(r, 5));
    }
  })().catch(() => {});
  const error = await assertRejects(async () => {
    for (let i = 0; i < 3; i++) await cb.receive();
    await cb.receive();
  }, RecordError);
  await sending;
  ca.abort();
  return error;
}

const flip = (frame: Uint8Array, at: number): Uint8Array => {
  const copy = frame.slice();
  copy[at] ^= 0x01;
  return copy;
};

for (
  const [region, at] of [
    ["type byte", 0],
    ["sequence number", HEADER_LENGTH + 7],
    ["ciphertext", HEADER_LENGTH + 8],
    ["tag", -1],
  ] as const
) {
  Deno.test(`channel rejects a record with its ${region} tampered`, async () => {
    const error = await attackRecords((i, f) =>
      i === 1 ? [flip(f, at < 0 ? f.length + at : at)] : [f]
    );
    assert(["tampered", "unexpected-type", "missing", "replayed"].includes(error.code), error.code);
    if (region === "ciphertext" || region === "tag") assertEquals(error.code, "tampered");
  });
}

Deno.test("channel rejects a record whose length field was changed", async () => {
  const error = await attackRecords((i, f) => {
    if (i !== 1) return [f];
    const shorter = f.slice(0, f.length - 1);
    new DataView(shorter.buffer).setUint32(1, shorter.length - HEADER_LENGTH);
    return [shorter];
  });
  assertEquals(error.code, "tampered");
});

Deno.test("channel rejects a replayed record", async () => {
  const error = await attackRecords((i, f) => i === 0 ? [f, f] : [f]);
  assertEquals(error.code, "replayed");
});

Deno.test("channel rejects reordered records", async () => {
  let held: Uint8Array | undefined;
  const error = await attackRecords((i, f) => {
    if (i === 0) {
      held = f;
      return [];
    }
    return i === 1 ? [f, held!] : [f];
  });
  assertEquals(error.code, "missing");
});

Deno.test("channel rejects a dropped record", async () => {
  const error = await attackRecords((i, f) => i === 1 ? [] : [f]);
  assertEquals(error.code, "missing");
});

Deno.test("channel reports a stream cut mid-record as truncated", async () => {
  const { a, b } = interceptedPair((direction, index, frame) => {
    if (direction === "a->b" && index === 3) return [frame.subarray(0, frame.length - 4)];
    return [frame];
  });
  const [ca, cb] = await connected(a, b);
  await ca.send(utf8("cut me"));
  ca.abort();
  const error = await assertRejects(() => cb.receive(), RecordError, "truncated");
  assert(error.message.includes("middle of a frame"));
});

Deno.test("channel reports a connection closed without a close record as truncated", async () => {
  const [a, b] = memoryPair();
  const [ca, cb] = await connected(a, b);
  await ca.send(utf8("last words"));
  ca.abort();
  assertEquals(text(await cb.receive()), "last words");
  const error = await assertRejects(() => cb.receive(), RecordError, "truncated");
  assert(error.message.includes("without a close record"));
});

Deno.test("channel refuses an oversize record length before reading its body", async () => {
  const error = await attackRecords((i, f) => {
    if (i !== 0) return [f];
    const header = f.slice(0, HEADER_LENGTH);
    new DataView(header.buffer).setUint32(1, 0xffff_fff0);
    return [header];
  });
  assertEquals(error.code, "oversized");
});

Deno.test("channel refuses to send past its record limit", async () => {
  const [a, b] = memoryPair();
  const [ca, cb] = await connected(a, b, { recordLimit: 2 });
  await Promise.all([ca.send(utf8("1")), cb.receive()]);
  await Promise.all([ca.send(utf8("2")), cb.receive()]);
  await assertRejects(() => ca.send(utf8("3")), RecordError, "nonce-exhausted");
});

Deno.test("handshake aborts with UnexpectedPeerKey when the responder is not who was demanded", async () => {
  const [a, b] = memoryPair();
  const results = await Promise.allSettled([
    initiateChannel(a, alice, { expectedPeer: bob.public.fingerprint }),
    acceptChannel(b, mallory),
  ]);
  assert(results[0].status === "rejected" && results[0].reason instanceof UnexpectedPeerKey);
  assert(results[1].status === "rejected" && results[1].reason instanceof HandshakeError);
});

Deno.test("handshake aborts with UnexpectedPeerKey when the initiator is not who was demanded", async () => {
  const [a, b] = memoryPair();
  const results = await Promise.allSettled([
    initiateChannel(a, mallory),
    acceptChannel(b, bob, { expectedPeer: alice.public.fingerprint }),
  ]);
  assert(results[1].status === "rejected" && results[1].reason instanceof UnexpectedPeerKey);
  assertEquals(
    results[0].status,
    "fulfilled",
    "the initiator finishes first; the responder then drops it",
  );
});

Deno.test("a man in the middle running two handshakes yields different SAS and fails demanded keys", async () => {
  // alice <-> mallory (as bob) and mallory (as alice) <-> bob, relaying plaintext between them.
  const [a, m1] = memoryPair();
  const [m2, b] = memoryPair();
  const [ca, cm1, cm2, cb] = await Promise.all([
    initiateChannel(a, alice),
    acceptChannel(m1, mallory),
    initiateChannel(m2, mallory),
    acceptChannel(b, bob),
  ]);
  assert(ca.sas !== cb.sas, "SAS must differ across a man in the middle");
  assertEquals(ca.sas, cm1.sas);
  assertEquals(cm2.sas, cb.sas);
  assertEquals(ca.peer.fingerprint, mallory.public.fingerprint);

  const [x, y] = memoryPair();
  const demanded = await Promise.allSettled([
    initiateChannel(x, alice, { expectedPeer: bob.public.fingerprint }),
    acceptChannel(y, mallory),
  ]);
  assert(demanded[0].status === "rejected" && demanded[0].reason instanceof UnexpectedPeerKey);
});

Deno.test("a relay that swaps in its own identity cannot finish the handshake", async () => {
  // Mallory forwards everything but replaces the responder's proof with one of its own making.
  const { a, b } = interceptedPair((direction, index, frame) => {
    if (direction === "b->a" && index === 1) return [flip(frame, HEADER_LENGTH + 3)];
    return [frame];
  });
  const results = await Promise.allSettled([initiateChannel(a, alice), acceptChannel(b, bob)]);
  assert(results[0].status === "rejected" && results[0].reason instanceof HandshakeError);
  assertEquals((results[0].reason as HandshakeError).code, "decrypt-failed");
});

Deno.test("responder refuses a revealed key that does not match the commitment", async () => {
  const other = crypto.getRandomValues(new Uint8Array(65));
  const { a, b } = interceptedPair((direction, index, frame) => {
    if (direction === "a->b" && index === 1) return [encodeFrame(FrameType.Reveal, other)];
    return [frame];
  });
  const results = await Promise.allSettled([initiateChannel(a, alice), acceptChannel(b, bob)]);
  assert(results[1].status === "rejected");
  assert((results[1].reason as HandshakeError).message.includes("commitment"));
});

Deno.test("a version mismatch is reported as VersionMismatch on both ends", async () => {
  const [a, b] = memoryPair();
  const responding = acceptChannel(b, bob);
  await a.write(
    encodeFrame(FrameType.Commit, new Uint8Array(34).fill(0, 0).map((_, i) => i === 1 ? 9 : 0)),
  );
  const error = await assertRejects(() => responding, VersionMismatch, "version-mismatch");
  assert(error.message.includes("we speak 1, the peer speaks 9"));
  const reply = await new FrameReader(a).read(256);
  assertEquals(reply?.type, FrameType.Response);

  const [c, d] = memoryPair();
  const initiating = initiateChannel(c, alice);
  await new FrameReader(d).read(256);
  await d.write(encodeFrame(FrameType.Response, new Uint8Array([0, 2])));
  await assertRejects(() => initiating, VersionMismatch);
});

Deno.test("a peer that stalls mid-handshake gets HandshakeTimeout and the transport is closed", async () => {
  const [a, b] = memoryPair();
  const initiating = initiateChannel(a, alice, { handshakeTimeoutMs: 100 });
  const firstMessage = await new FrameReader(b).read(256);
  assertEquals(firstMessage?.type, FrameType.Commit);
  await assertRejects(() => initiating, HandshakeTimeout, "handshake-timeout");
  assertEquals(await b.read(), null, "the initiator closed its side");

  const [c, d] = memoryPair();
  const responding = acceptChannel(d, bob, { handshakeTimeoutMs: 100 });
  await assertRejects(() => responding, HandshakeTimeout);
  c.close();
});

Deno.test("garbage instead of a handshake is a typed error", async () => {
  const [a, b] = memoryPair();
  const responding = acceptChannel(b, bob);
  await a.write(utf8("GET / HTTP/1.1\r\nHost: example\r\n\r\n"));
  const error = await assertRejects(() => responding, HandshakeError);
  assert(["bad-message"].includes(error.code), error.code);
});

Deno.test("a channel whose peer stops reading counts what waits, then makes send() wait past its bound", async () => {
  const [inner, b] = memoryPair();
  let stalled = false;
  const held: (() => void)[] = [];
  const a: Transport = {
    read: () => inner.read(),
    write: (bytes) =>
      stalled
        ? new Promise<void>((resolve) => held.push(() => inner.write(bytes).then(resolve)))
        : inner.write(bytes),
    close: () => inner.close(),
  };
  const [ca, cb] = await connected(a, b);
  stalled = true;
  for (const size of [1000, 1000, 1000]) await ca.send(new Uint8Array(size));
  assertEquals(ca.bufferedAmount, 3000, "message bytes waiting, small ones batched");
  const big = new Uint8Array(MAX_MESSAGE);
  let sends = 0;
  let waiting: Promise<void> | undefined;
  while (!waiting) {
    const sent = ca.send(big);
    sends++;
    const settled = await Promise.race([
      sent.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 20)),
    ]);
    if (!settled) waiting = sent;
  }
  assert(
    ca.bufferedAmount > SEND_HIGH_WATER,
    `${ca.bufferedAmount} bytes queued when send() began to wait`,
  );
  stalled = false;
  held.splice(0).forEach((release) => release());
  await waiting;
  for (let i = 0; i < 3 + sends; i++) assert((await cb.receive()) !== null);
  assert(
    await (async () => {
      for (let i = 0; i < 50 && ca.bufferedAmount > 0; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      return ca.bufferedAmount === 0;
    })(),
    "everything written",
  );
});

Deno.test("send() keeps its own copy: a caller that reuses its buffer does not change what was sent", async () => {
  const { a, b } = interceptedPair(passThrough);
  const [ca, cb] = await connected(a, b);
  const reused = utf8("hello");
  // The first send goes out at once; the next ones queue behind its write, in the batch.
  await ca.send(utf8("first"));
  await ca.send(reused);
  reused.fill(0x58); // "XXXXX"
  await ca.send(reused);
  const large = new Uint8Array(20_000).fill(0x41);
  const sending = ca.send(large);
  large.fill(0x42);
  await sending;
  assertEquals(text(await cb.receive()), "first");
  assertEquals(text(await cb.receive()), "hello");
  assertEquals(text(await cb.receive()), "XXXXX");
  assert((await cb.receive())!.every((byte) => byte === 0x41), "the large message as sent");
});

Deno.test("a local close ends a pending receive with a clean end, and the state says who closed", async () => {
  const [a, b] = memoryPair();
  const [ca, cb] = await connected(a, b);
  const pending = ca.receive();
  await ca.close();
  assertEquals(await pending, null);
  assertEquals(await ca.receive(), null, "and every later receive");
  assertEquals(ca.state, { kind: "closed", by: "local" });
  assertEquals(await cb.receive(), null);
  assertEquals(cb.state, { kind: "closed", by: "peer" });
  await assertRejects(() => ca.send(utf8("late")), RecordError, "closed");
});

Deno.test("abort() ends pending receives cleanly here and is a truncation for the peer", async () => {
  const [a, b] = memoryPair();
  const [ca, cb] = await connected(a, b);
  const pending = ca.receive();
  ca.abort();
  assertEquals(await pending, null);
  assertEquals(ca.state, { kind: "closed", by: "local" });
  await assertRejects(() => cb.receive(), RecordError, "truncated");
  assertEquals(cb.state.kind, "failed");
});

Deno.test("receive() has one caller at a time: a second concurrent call is a TypeError", async () => {
  const [a, b] = memoryPair();
  const [ca, cb] = await connected(a, b);
  const first = ca.receive();
  await assertRejects(() => ca.receive(), TypeError);
  await cb.send(utf8("for the first caller"));
  assertEquals(text(await first), "for the first caller");
  await Promise.all([cb.close(), ca.receive()]);
});

Deno.test("one deadline bounds the whole handshake: a caller's signal ends it with its reason", async () => {
  const [a, b] = memoryPair();
  const controller = new AbortController();
  const responding = acceptChannel(b, bob, { signal: controller.signal });
  await a.write(encodeFrame(FrameType.Commit, new Uint8Array(34)));
  controller.abort(new HandshakeTimeout(1));
  await assertRejects(() => responding, HandshakeTimeout);
  assertEquals(await a.read(), null, "the transport was closed, ending the losing read");
});

Deno.test("an ephemeral key a responder never answered is committed to again; a revealed one never", async () => {
  const pool = new UnrevealedEphemeral();
  const commits: string[] = [];
  // Two responders that hang up at once on the Commit (a busy directory).
  for (let i = 0; i < 2; i++) {
    const [a, b] = memoryPair();
    const initiating = initiateChannel(a, alice, { unrevealed: pool });
    const commit = await new FrameReader(b).read(256);
    commits.push([...commit!.bytes].join(","));
    b.close();
    await assertRejects(() => initiating, HandshakeError);
  }
  assertEquals(commits[0], commits[1], "the same commitment: the key was kept");
  // A full handshake reveals it: the next attempt must use a fresh key.
  const [a, b] = memoryPair();
  await Promise.all([initiateChannel(a, alice, { unrevealed: pool }), acceptChannel(b, bob)]);
  const [c, d] = memoryPair();
  const again = initiateChannel(c, alice, { unrevealed: pool });
  const fresh = await new FrameReader(d).read(256);
  assert([...fresh!.bytes].join(",") !== commits[0], "a revealed key is never reused");
  d.close();
  await assertRejects(() => again, HandshakeError);
});

Deno.test("close({ drain: true }) delivers what the peer still sends until its end, then ends cleanly", async () => {
  const [a, b] = memoryPair();
  const [ca, cb] = await connected(a, b);
  const pending = ca.receive();
  const closing = ca.close({ drain: true });
  await assertRejects(() => ca.send(utf8("late")), RecordError, "closed");
  // The peer answers what came before our Close (acknowledgements, say), then reads the Close.
  await cb.send(utf8("ack 1"));
  await cb.send(utf8("ack 2"));
  assertEquals(await cb.receive(), null);
  assertEquals(cb.state, { kind: "closed", by: "peer" });
  assertEquals(text(await pending), "ack 1");
  assertEquals(text(await ca.receive()), "ack 2");
  assertEquals(await ca.receive(), null);
  await closing;
  assertEquals(ca.state, { kind: "closed", by: "local" });
});

Deno.test("close({ drain: true }) waits at most DRAIN_LINGER_MS for a peer that never ends", async () => {
  const [a, b] = memoryPair();
  const [ca, cb] = await connected(a, b);
  const pending = ca.receive();
  const started = performance.now();
  await ca.close({ drain: true });
  const waited = performance.now() - started;
  assertEquals(await pending, null);
  assertEquals(ca.state, { kind: "closed", by: "local" });
  assert(waited >= DRAIN_LINGER_MS - 100 && waited < DRAIN_LINGER_MS + 1000, `${waited} ms`);
  cb.abort();
});

/**
 * a closes with drain while b has 200 answers queued as a's Close reaches it;
 * `then` runs on b once it has read that Close. Returns what a received.
 */
async function answersAfterClose(then: (b: SecureChannel) => Promise<void>): Promise<string[]> {
  const [a, b] = memoryPair();
  const [ca, cb] = await connected(a, b);
  const pending = ca.receive();
  const closing = ca.close({ drain: true });
  const sends = Array.from(
    { length: 200 },
    (_, i) => cb.send(utf8(`ack ${i} ${"x".repeat(2000)}`)),
  );
  assertEquals(await cb.receive(), null, "a's Close");
  await then(cb);
  await Promise.allSettled(sends);
  const got: string[] = [];
  for (let m: Uint8Array | null = await pending; m !== null; m = await ca.receive()) {
    got.push(text(m).split(" ").slice(0, 2).join(" "));
  }
  await closing;
  assertEquals(ca.state, { kind: "closed", by: "local" });
  return got;
}

const ALL_ANSWERS = Array.from({ length: 200 }, (_, i) => `ack ${i}`);

Deno.test("the peer's Close does not drop what was queued before it: a draining closer gets it all", async () => {
  const got = await answersAfterClose(async (cb) => {
    assertEquals(cb.state, { kind: "closed", by: "peer" });
    await assertRejects(() => cb.send(utf8("after the Close")), RecordError, "closed");
  });
  assertEquals(got, ALL_ANSWERS);
});

Deno.test("a close() right after the peer's Close waits for what is owed instead of cutting it", async () => {
  // As a chat's own end does, once it has seen the peer's.
  assertEquals(await answersAfterClose((cb) => cb.close()), ALL_ANSWERS);
});

Deno.test("a peer that never reads is dropped as a slow reader once maxBuffered bytes wait, however the sender ignores backpressure", async () => {
  const [inner, b] = memoryPair();
  let stalled = false;
  const a: Transport = {
    read: () => inner.read(),
    // A peer that stops reading: writes never complete.
    write: (bytes) => stalled ? new Promise<void>(() => {}) : inner.write(bytes),
    close: () => inner.close(),
  };
  const maxBuffered = 256 * 1024;
  const [ca, cb] = await Promise.all([
    initiateChannel(a, alice, { maxBuffered }),
    acceptChannel(b, bob),
  ]);
  stalled = true;
  let failure: unknown;
  let sent = 0;
  // Fire and forget, as an acknowledgement is sent: nothing awaits the write.
  for (let i = 0; i < 100_000 && failure === undefined; i++) {
    ca.send(utf8(`{"type":"ack","id":"m${i}"}`)).catch((error) => failure ??= error);
    sent++;
    if (ca.state.kind !== "open") break;
  }
  await new Promise((r) => setTimeout(r, 0));
  assert(failure instanceof RecordError, `no failure after ${sent} sends`);
  assertEquals((failure as RecordError).code, "slow-reader");
  assert(ca.bufferedAmount <= maxBuffered, `${ca.bufferedAmount} bytes held`);
  assertEquals(ca.state.kind, "failed");
  await assertRejects(() => ca.receive(), RecordError, "slow-reader");
  cb.abort();
});

Deno.test("a responder over capacity answers Busy before any key agreement: the initiator gets PeerBusy with the wait (bounded), and keeps its unrevealed key for the retry", async () => {
  for (const [asked, told] of [[250, 250], [3_600_000, MAX_BUSY_RETRY_MS]]) {
    const [a, b] = memoryPair();
    const pool = new UnrevealedEphemeral();
    const initiating = initiateChannel(a, alice, { unrevealed: pool });
    const commit = await new FrameReader(b).read(256);
    assertEquals(commit?.type, FrameType.Commit);
    await b.write(busyReply(asked));
    const error = await assertRejects(() => initiating, PeerBusy, "peer-busy");
    assertEquals(error.retryAfterMs, told);
    assert(pool.take() !== undefined, "the committed, unrevealed key is kept for the next try");
  }
  // A Busy frame of the wrong size is a bad message, not a wait.
  const [a, b] = memoryPair();
  const initiating = initiateChannel(a, alice);
  await new FrameReader(b).read(256);
  await b.write(encodeFrame(FrameType.Busy, new Uint8Array(7)));
  await assertRejects(() => initiating, HandshakeError, "bad-message");
});
