/**
 * The sender's disk work (docs/protocol.md §14.2, §14.3), beside the
 * receiver's in the same worker (part_worker.ts): hashing a file once before
 * it is offered (the whole file's SHA-256 and one per chunk, in one pass),
 * and reading what is to be sent in ranges, each checked against the file's
 * stamp (device, inode, size, modification time) as it was hashed: a file
 * written to since, or got shorter, is `changed`. (Hashing each chunk again
 * as it is read would cost as much CPU again as the channel's own sealing
 * of it; the receiver checks every chunk against its hash anyway.)
 *
 * @example
 * ```ts
 * import { SourceDesk } from "./source_desk.ts";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hello");
 * const reply = await new SourceDesk().handle({ op: "source-hash", t: 1, q: 1, path });
 * console.log(reply.op === "source-hashed" && reply.size); // 5
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { constants, type FileHandle, open } from "node:fs/promises";
import { sha256, toHex } from "../../crypto/mod.ts";
import { CodedError } from "../../errors/mod.ts";
import { chunkCount, chunkLength, chunkSizeFor } from "./chunk_plan.ts";
import { HASH_BYTES } from "./file_messages.ts";

/** Bytes read at a time while hashing a file before the offer. */
const PREPARE_READ = 1024 * 1024;

/** What identifies a file's content on disk without reading it: if any of it changes, hash again. */
export type Stamp = { dev: number; ino: number; size: number; mtimeMs: number };

/** What the sender's desk is asked; `t` names the transfer, `q` the request. */
export type SourceRequest =
  /** Hash the file at `path` for an offer. */
  | { op: "source-hash"; t: number; q: number; path: string }
  /** Open the file at `path` to send it, if it is still what was hashed (`stamp`). */
  | { op: "source-open"; t: number; q: number; path: string; stamp: Stamp }
  /**
   * Read `length` bytes at `position` (a range of chunk `index`), if the
   * file is still what was hashed (its stamp, looked at after the read).
   */
  | {
    op: "source-read";
    t: number;
    q: number;
    index: number;
    position: number;
    length: number;
    /** A buffer to read into (one handed back after an earlier range), if it is large enough. */
    into?: Uint8Array;
  }
  | { op: "source-close"; t: number; q: number };

/** What the sender's desk answers. */
export type SourceReply =
  | {
    op: "source-hashed";
    t: number;
    q: number;
    sha256: string;
    list: string;
    chunk: number;
    size: number;
    hashes: Uint8Array;
    stamp: Stamp;
  }
  | { op: "source-opened"; t: number; q: number }
  | { op: "source-range"; t: number; q: number; data: Uint8Array }
  | { op: "source-closed"; t: number; q: number }
  /** `changed`: the file changed or got shorter; `failed`: it could not be read. */
  | { op: "source-failed"; t: number; q: number; kind: "changed" | "failed"; message: string };

/** The file changed, or got shorter, after it was hashed. */
class Changed extends CodedError<"changed"> {
  constructor(message: string) {
    super("changed", message);
  }
}

const stampOf = (info: { dev: number; ino: number; size: number; mtimeMs: number }): Stamp => ({
  dev: info.dev,
  ino: info.ino,
  size: info.size,
  mtimeMs: info.mtimeMs,
});

/** Whether two stamps say the same file, unchanged. */
export const sameStamp = (a: Stamp, b: Stamp): boolean =>
  a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/** Fills `buffer` from `position` of `file`; Changed if the file ends first. */
async function fill(file: FileHandle, buffer: Uint8Array, position: number): Promise<Uint8Array> {
  for (let done = 0; done < buffer.length;) {
    const { bytesRead } = await file.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) throw new Changed("the file got shorter");
    done += bytesRead;
  }
  return buffer;
}

type Source = { file: FileHandle; stamp: Stamp };

/** Files being hashed and read for sending, by transfer. */
export class SourceDesk {
  readonly #open = new Map<number, Source>();

  /** Carries out `request`; never rejects (a failure is a `source-failed` reply). */
  async handle(request: SourceRequest): Promise<SourceReply> {
    const { t, q } = request;
    try {
      return await this.#handle(request);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return {
        op: "source-failed",
        t,
        q,
        kind: error instanceof Changed ? "changed" : "failed",
        message,
      };
    }
  }

  async #handle(r: SourceRequest): Promise<SourceReply> {
    const { t, q } = r;
    switch (r.op) {
      case "source-hash": {
        const file = await open(r.path, constants.O_RDONLY);
        try {
          return { op: "source-hashed", t, q, ...await hashFile(file) };
        } finally {
          await file.close();
        }
      }
      case "source-open": {
        const file = await open(r.path, constants.O_RDONLY);
        if (!sameStamp(stampOf(await file.stat()), r.stamp)) {
          await file.close();
          throw new Changed("the file changed after it was hashed");
        }
        this.#open.set(t, { file, stamp: r.stamp });
        return { op: "source-opened", t, q };
      }
      case "source-read": {
        const source = this.#open.get(t);
        if (!source) throw new Error(`No file is open for transfer ${t}`);
        const buffer = r.into && r.into.length >= r.length
          ? r.into.subarray(0, r.length)
          : new Uint8Array(r.length);
        const data = await fill(source.file, buffer, r.position);
        // Looked at after the read: a write to the file meanwhile changes its stamp.
        if (!sameStamp(stampOf(await source.file.stat()), source.stamp)) {
          throw new Changed("the file changed after it was hashed");
        }
        return { op: "source-range", t, q, data };
      }
      case "source-close": {
        await this.#open.get(t)?.file.close();
        this.#open.delete(t);
        return { op: "source-closed", t, q };
      }
    }
  }
}

/** The file's SHA-256 and one per chunk, in one pass; Changed if it changes meanwhile. */
async function hashFile(file: FileHandle) {
  const stamp = stampOf(await file.stat());
  const chunk = chunkSizeFor(stamp.size);
  const count = chunkCount(stamp.size, chunk);
  const whole = createHash("sha256");
  const hashes = new Uint8Array(count * HASH_BYTES);
  const buffer = new Uint8Array(Math.min(PREPARE_READ, chunk));
  for (let index = 0; index < count; index++) {
    const length = chunkLength(stamp.size, chunk, index);
    const part = createHash("sha256");
    for (let done = 0; done < length; done += buffer.length) {
      const bytes = await fill(
        file,
        buffer.subarray(0, Math.min(buffer.length, length - done)),
        index * chunk + done,
      );
      whole.update(bytes);
      part.update(bytes);
    }
    hashes.set(part.digest(), index * HASH_BYTES);
  }
  if (!sameStamp(stamp, stampOf(await file.stat()))) {
    throw new Changed("the file changed while it was hashed");
  }
  return {
    sha256: toHex(new Uint8Array(whole.digest())),
    list: toHex(sha256(hashes)),
    chunk,
    size: stamp.size,
    hashes,
    stamp,
  };
}
