import { assert, assertEquals } from "../../tests/assert.ts";
import { sha256, toHex } from "../../crypto/mod.ts";
import { Bitmap, chunkCount, chunkLength } from "./chunk_plan.ts";
import { MAX_PIECE } from "./file_messages.ts";
import { type IncomingAction, IncomingTransfer, MAX_OPEN_CHUNKS } from "./incoming.ts";

const CHUNK = 64 * 1024;

/** A file of `size` random bytes, with what an honest offer says of it. */
function file(size: number) {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
  const count = chunkCount(size, CHUNK);
  const hashes = new Uint8Array(count * 32);
  for (let i = 0; i < count; i++) {
    hashes.set(sha256(data.subarray(i * CHUNK, (i + 1) * CHUNK)), i * 32);
  }
  const offer = {
    id: "cd".repeat(16),
    name: "f.bin",
    size,
    sha256: toHex(sha256(data)),
    chunk: CHUNK,
    list: toHex(sha256(hashes)),
  };
  /** The pieces of chunk `index`, in order. */
  const pieces = (index: number) => {
    const out: { index: number; offset: number; data: Uint8Array }[] = [];
    const length = chunkLength(size, CHUNK, index);
    for (let offset = 0; offset < length; offset += MAX_PIECE) {
      const start = index * CHUNK + offset;
      out.push({
        index,
        offset,
        data: data.subarray(start, start + Math.min(MAX_PIECE, length - offset)),
      });
    }
    return out;
  };
  return { data, hashes, offer, count, pieces };
}

/** Plays the shell: writes into a buffer, hashes back from it. */
function shell(transfer: IncomingTransfer, size: number) {
  const disk = new Uint8Array(size);
  const said: string[] = [];
  let outcome: unknown;
  const run = (actions: IncomingAction[]): void => {
    for (const a of actions) {
      if (a.type === "say") said.push(a.message.type);
      else if (a.type === "write") disk.set(a.data, a.position);
      else if (a.type === "hash-chunk") {
        run(transfer.handle({
          type: "chunk-hashed",
          index: a.index,
          digest: sha256(disk.subarray(a.position, a.position + a.length)),
        }));
      } else if (a.type === "hash-file") {
        run(transfer.handle({ type: "file-hashed", digest: sha256(disk) }));
      } else if (a.type === "place") run(transfer.handle({ type: "placed", path: "/d/f.bin" }));
      else if (a.type === "finish") outcome = a.outcome;
    }
  };
  return { disk, said, run, outcome: () => outcome };
}

Deno.test("IncomingTransfer: pieces in order are checked chunk by chunk as each completes, then the whole file", () => {
  const f = file(3 * CHUNK + 100);
  const t = new IncomingTransfer(f.offer);
  const s = shell(t, f.offer.size);
  s.run(t.handle({ type: "accepted", have: new Bitmap(f.count) }));
  s.run(t.handle({ type: "list", offset: 0, data: f.hashes }));
  const verified: number[] = [];
  for (let i = 0; i < f.count; i++) {
    for (const piece of f.pieces(i)) {
      const actions = t.handle({ type: "data", ...piece });
      s.run(actions);
      for (const a of actions) {
        if (a.type === "hash-chunk") verified.push(a.index);
      }
    }
  }
  assertEquals(verified, [0, 1, 2, 3], "each chunk's hash asked for as it completed");
  assert([0, 1, 2, 3].every((i) => t.have.has(i)));
  const end = t.handle({ type: "end" });
  assertEquals(end, [{ type: "hash-file" }]);
  s.run(end);
  assertEquals(s.outcome(), { kind: "done", path: "/d/f.bin" });
  assertEquals(s.said, ["file-accept", "file-done"]);
  assertEquals(s.disk, f.data);
});

Deno.test("IncomingTransfer: a chunk that does not match its hash is corrupt, told to the sender, nothing placed", () => {
  const f = file(2 * CHUNK);
  const t = new IncomingTransfer(f.offer);
  const s = shell(t, f.offer.size);
  s.run(t.handle({ type: "accepted", have: new Bitmap(f.count) }));
  s.run(t.handle({ type: "list", offset: 0, data: f.hashes }));
  const [first, second] = f.pieces(1);
  s.run(t.handle({ type: "data", ...first }));
  const bad = second.data.slice();
  bad[0] ^= 1;
  s.run(t.handle({ type: "data", ...second, data: bad }));
  assertEquals(s.outcome(), {
    kind: "failed",
    reason: "corrupt",
    by: "none",
    resumable: false,
    detail: "chunk 1 does not match its hash",
  });
  assertEquals(s.said, ["file-accept", "file-cancel"]);
  assertEquals(t.handle({ type: "end" }), [], "over: nothing more happens");
});

Deno.test("IncomingTransfer: a hash list that does not match the offer is corrupt", () => {
  const f = file(CHUNK);
  const t = new IncomingTransfer(f.offer);
  const s = shell(t, f.offer.size);
  s.run(t.handle({ type: "accepted", have: new Bitmap(f.count) }));
  s.run(t.handle({ type: "list", offset: 0, data: new Uint8Array(32) }));
  assertEquals(
    (s.outcome() as { detail: string }).detail,
    "the chunk hash list does not match the offer",
  );
});

Deno.test("IncomingTransfer: pieces off the grid, past the file, and too many chunks at once are corrupt", () => {
  const f = file(20 * CHUNK);
  const fail = (feed: (t: IncomingTransfer) => IncomingAction[]) => {
    const t = new IncomingTransfer(f.offer);
    t.handle({ type: "accepted", have: new Bitmap(f.count) });
    const finish = feed(t).find((a) => a.type === "finish");
    return (finish as { outcome: { detail: string } } | undefined)?.outcome.detail;
  };
  assertEquals(
    fail((t) => t.handle({ type: "data", index: 0, offset: 1, data: new Uint8Array(10) })),
    "a piece of chunk 0 off its grid",
  );
  assertEquals(
    fail((t) => t.handle({ type: "data", index: 0, offset: MAX_PIECE, data: new Uint8Array(27) })),
    "a piece of chunk 0 off its grid",
  );
  assertEquals(
    fail((t) => t.handle({ type: "data", index: 20, offset: 0, data: new Uint8Array(1) })),
    "data for chunk 20, past the file's end",
  );
  assertEquals(
    fail((t) => {
      let last: IncomingAction[] = [];
      for (let i = 0; i <= MAX_OPEN_CHUNKS; i++) {
        last = t.handle({ type: "data", ...f.pieces(i)[0] });
      }
      return last;
    }),
    `more than ${MAX_OPEN_CHUNKS} chunks under way at once`,
  );
});

Deno.test("IncomingTransfer: pieces out of order and twice (a move between paths) still make the file; the chunk and the file are hashed back", () => {
  const f = file(3 * CHUNK);
  const t = new IncomingTransfer(f.offer);
  const s = shell(t, f.offer.size);
  s.run(t.handle({ type: "accepted", have: new Bitmap(f.count) }));
  // Data overtakes the list (the list came on the old connection).
  const [a0, b0] = f.pieces(0);
  s.run(t.handle({ type: "data", ...b0 }));
  s.run(t.handle({ type: "data", ...a0 }));
  s.run(t.handle({ type: "data", ...a0 }));
  s.run(t.handle({ type: "list", offset: 32, data: f.hashes.subarray(32) }));
  s.run(t.handle({ type: "list", offset: 0, data: f.hashes.subarray(0, 32) }));
  assert(t.have.has(0), "checked once the list came");
  for (const piece of [...f.pieces(1), ...f.pieces(2)]) s.run(t.handle({ type: "data", ...piece }));
  s.run(t.handle({ type: "end" }));
  assertEquals(s.outcome(), { kind: "done", path: "/d/f.bin" });
  assertEquals(s.disk, f.data);
});

Deno.test("IncomingTransfer: what never came is asked for again (the list too), then the file completes", () => {
  const f = file(3 * CHUNK);
  const t = new IncomingTransfer(f.offer);
  const s = shell(t, f.offer.size);
  s.run(t.handle({ type: "accepted", have: new Bitmap(f.count) }));
  s.run(t.handle({ type: "data", ...f.pieces(0)[0] }));
  s.run(t.handle({ type: "data", ...f.pieces(2)[0] }));
  const want = t.handle({ type: "end" });
  assertEquals(want, [{
    type: "say",
    message: { type: "file-want", id: f.offer.id, have: new Bitmap(3).toBase64(), list: true },
  }]);
  s.run(t.handle({ type: "list", offset: 0, data: f.hashes }));
  for (let i = 0; i < 3; i++) {
    for (const piece of f.pieces(i)) s.run(t.handle({ type: "data", ...piece }));
  }
  s.run(t.handle({ type: "end" }));
  assertEquals(s.outcome(), { kind: "done", path: "/d/f.bin" });
  assertEquals(s.disk, f.data);
});

Deno.test("IncomingTransfer: a resume keeps what it has, counts it, sends only what is missing, and hashes the file once at the end", () => {
  const f = file(4 * CHUNK);
  const t = new IncomingTransfer(f.offer);
  const s = shell(t, f.offer.size);
  s.disk.set(f.data.subarray(0, 2 * CHUNK));
  const have = new Bitmap(4);
  have.set(0);
  have.set(1);
  const accepted = t.handle({ type: "accepted", have });
  assertEquals(accepted, [{
    type: "say",
    message: { type: "file-accept", id: f.offer.id, have: have.toBase64() },
  }]);
  assertEquals(t.resumedBytes, 2 * CHUNK);
  s.run(t.handle({ type: "list", offset: 0, data: f.hashes }));
  for (const piece of [...f.pieces(2), ...f.pieces(3)]) s.run(t.handle({ type: "data", ...piece }));
  const end = t.handle({ type: "end" });
  assertEquals(
    end,
    [{ type: "hash-file" }],
    "kept bytes were not hashed at resume: once, at the end",
  );
  s.run(end);
  assertEquals(s.outcome(), { kind: "done", path: "/d/f.bin" });
});

Deno.test("IncomingTransfer: a file whose chunks match but whole SHA-256 does not is corrupt", () => {
  const f = file(CHUNK);
  const t = new IncomingTransfer({ ...f.offer, sha256: "00".repeat(32) });
  const s = shell(t, f.offer.size);
  s.run(t.handle({ type: "accepted", have: new Bitmap(1) }));
  s.run(t.handle({ type: "list", offset: 0, data: f.hashes }));
  for (const piece of f.pieces(0)) s.run(t.handle({ type: "data", ...piece }));
  s.run(t.handle({ type: "end" }));
  assertEquals(
    (s.outcome() as { detail: string }).detail,
    "the file's SHA-256 does not match the offer",
  );
});

Deno.test("IncomingTransfer: a full disk keeps the part resumable and tells the sender; a lost chat keeps it too", () => {
  const f = file(CHUNK);
  const full = new IncomingTransfer(f.offer);
  full.handle({ type: "accepted", have: new Bitmap(1) });
  assertEquals(full.handle({ type: "disk-full" }), [
    { type: "say", message: { type: "file-cancel", id: f.offer.id, reason: "no-space" } },
    {
      type: "finish",
      outcome: { kind: "failed", reason: "no-space", by: "none", resumable: true },
    },
  ]);
  const lost = new IncomingTransfer(f.offer);
  lost.handle({ type: "accepted", have: new Bitmap(1) });
  assertEquals(lost.handle({ type: "lost" }), [
    {
      type: "finish",
      outcome: { kind: "failed", reason: "connection-lost", by: "none", resumable: true },
    },
  ]);
  const never = new IncomingTransfer(f.offer);
  assertEquals(never.handle({ type: "lost" })[0], {
    type: "finish",
    outcome: { kind: "failed", reason: "connection-lost", by: "none", resumable: false },
  }, "nothing kept of an offer never accepted");
});

Deno.test("IncomingTransfer: refused unasked (too large) says why to the sender", () => {
  const f = file(CHUNK);
  const t = new IncomingTransfer(f.offer);
  assertEquals(t.handle({ type: "refuse", reason: "too-large", max: 10 }), [
    {
      type: "say",
      message: { type: "file-decline", id: f.offer.id, reason: "too-large", max: 10 },
    },
    {
      type: "finish",
      outcome: { kind: "failed", reason: "too-large", by: "you", resumable: false, max: 10 },
    },
  ]);
});

Deno.test("IncomingTransfer: an empty file is complete at once", () => {
  const empty = toHex(sha256(new Uint8Array(0)));
  const t = new IncomingTransfer({
    id: "ab".repeat(16),
    name: "e",
    size: 0,
    sha256: empty,
    chunk: CHUNK,
    list: empty,
  });
  t.handle({ type: "accepted", have: new Bitmap(0) });
  assertEquals(t.handle({ type: "end" }), [{ type: "hash-file" }]);
});
