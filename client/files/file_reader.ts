/**
 * The sender's side (docs/protocol.md §14.2, §14.3): checking the file a
 * `/send` names, hashing it once before it is offered, and pumping what the
 * receiver asks for. The disk work (hashing, reading, checking that the
 * file is still what was hashed) is the source desk's (`source_desk.ts`);
 * here each range is cut into pieces and sent, and a file that changed
 * stops the transfer as `changed` before anything of it leaves. Nothing
 * holds more than three ranges of the file.
 *
 * @module
 */
import { basename, join } from "node:path";
import { FileError } from "../core/mod.ts";
import { CodedError } from "../../errors/mod.ts";
import { chunkLength } from "./chunk_plan.ts";
import type { DeskClient } from "./desk_client.ts";
import {
  FILE_ID_BYTES,
  FRAME_HEADER,
  KIND_DATA,
  KIND_LIST,
  MAX_FILE_BYTES,
  MAX_LIST_PIECE,
  MAX_PIECE,
  writeFrameHeader,
} from "./file_messages.ts";
import type { Prepared } from "./outgoing.ts";
import { sameStamp, type Stamp } from "./source_desk.ts";

/**
 * Most bytes one read of a file to send asks for (a chunk, or a part of a
 * larger one): whole pieces, so every range starts on the chunk's grid.
 */
const READ_RANGE = 64 * MAX_PIECE;

/** The file changed (or shrank) after it was hashed. */
export class FileChanged extends CodedError<"changed"> {
  /** Says what changed. */
  constructor(message: string) {
    super("changed", message);
  }
}

/** The file could not be read any more. */
export class FileUnreadable extends CodedError<"unreadable"> {
  /** Says why. */
  constructor(message: string) {
    super("unreadable", message);
  }
}

export type { Stamp };

/** A hashed file: what the offer says, and the chunk hashes the receiver is sent. */
export type HashedFile = Prepared & {
  readonly size: number;
  /** The chunk hashes, one after another. */
  readonly hashes: Uint8Array;
  readonly stamp: Stamp;
};

/**
 * Hashes files for offers (through the desk), remembering the last few:
 * sending the same unchanged file again (to resume) costs no second pass.
 */
export class FileHasher {
  /** Files hashed this session, by path, while their stamp holds. */
  readonly #known = new Map<string, HashedFile>();
  readonly #limit: number;

  /** A hasher that remembers up to `limit` files. */
  constructor(limit = 16) {
    this.#limit = limit;
  }

  /** The hashes of the file at `path`: what is known of it unchanged, or a pass over it at `desk`. */
  async hash(path: string, desk: DeskClient, t: number): Promise<HashedFile> {
    const info = await Deno.stat(path);
    const known = this.#known.get(path);
    if (known && info.ino !== null && info.dev !== null && info.mtime !== null) {
      const stamp = {
        dev: info.dev,
        ino: info.ino,
        size: info.size,
        mtimeMs: info.mtime.getTime(),
      };
      if (sameStamp(known.stamp, stamp)) return known;
    }
    const reply = await desk.ask({ op: "source-hash", t, path });
    if (reply.op !== "source-hashed") throw failure(reply);
    const { sha256, list, chunk, size, hashes, stamp } = reply;
    const hashed: HashedFile = { sha256, list, chunk, size, hashes, stamp };
    this.#known.delete(path);
    this.#known.set(path, hashed);
    if (this.#known.size > this.#limit) this.#known.delete(this.#known.keys().next().value!);
    return hashed;
  }
}

/** What a failed desk reply means for a sender: FileChanged, or FileUnreadable. */
export function failure(reply: { op: string; kind?: string; message?: string }): Error {
  const message = reply.message ?? reply.op;
  return reply.kind === "changed" ? new FileChanged(message) : new FileUnreadable(message);
}

/** A file checked to be sent: its full path, name and size. */
export type FileToSend = { full: string; name: string; size: number };

/**
 * Checks the file `/send` names (`~/` is under $HOME); throws FileError
 * naming the path as typed when it is missing, not a regular file,
 * unreadable or larger than the protocol carries.
 */
export async function openToSend(path: string): Promise<FileToSend> {
  const full = expandHome(path);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(full);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new FileError({ code: "bad-file", problem: "file-missing", path });
    }
    throw new FileError({
      code: "bad-file",
      problem: "file-unreadable",
      path,
      cause: message(error),
    });
  }
  if (!info.isFile) throw new FileError({ code: "bad-file", problem: "not-a-file", path });
  if (info.size > MAX_FILE_BYTES) {
    throw new FileError({
      code: "bad-file",
      problem: "file-too-big",
      path,
      size: info.size,
      max: MAX_FILE_BYTES,
    });
  }
  try {
    (await Deno.open(full, { read: true })).close();
  } catch (error) {
    throw new FileError({
      code: "bad-file",
      problem: "file-unreadable",
      path,
      cause: message(error),
    });
  }
  return { full, name: basename(full), size: info.size };
}

const message = (error: unknown): string => error instanceof Error ? error.message : String(error);

/** `~/…` is under $HOME, as a shell would have it. */
function expandHome(path: string): string {
  if (path !== "~" && !path.startsWith("~/")) return path;
  let home: string | undefined;
  try {
    home = Deno.env.get("HOME");
  } catch {
    return path; // No --allow-env: the path is taken as typed.
  }
  return home ? join(home, path.slice(1)) : path;
}

/** Sends one binary file message (the buffer may be reused as soon as it resolves). */
export type SendFrame = (frame: Uint8Array) => Promise<void>;

/** The hash list of `hashed` in pieces, sent through `send`. */
export async function sendList(
  id: Uint8Array,
  hashed: HashedFile,
  send: SendFrame,
): Promise<void> {
  for (let offset = 0; offset < hashed.hashes.length; offset += MAX_LIST_PIECE) {
    const piece = hashed.hashes.subarray(offset, offset + MAX_LIST_PIECE);
    const frame = new Uint8Array(FRAME_HEADER + piece.length);
    writeFrameHeader(frame, KIND_LIST, id, { index: 0, offset });
    frame.set(piece, FRAME_HEADER);
    await send(frame);
  }
}

/** What a pump does. */
export type PumpPlan = {
  /** The desk that reads (the file open there as transfer `t`). */
  desk: DeskClient;
  t: number;
  id: Uint8Array;
  chunks: readonly number[];
  send: SendFrame;
  /** Counts the data bytes of each piece sent. */
  sent: (bytes: number) => void;
  signal: AbortSignal;
};

/** One read: a range of a chunk. */
type Range = { index: number; offset: number; length: number };

/**
 * Sends chunks `plan.chunks` in pieces through `plan.send`, until done or
 * `plan.signal` aborts: the desk reads each chunk (in ranges of at most
 * READ_RANGE, the next one read while this one is sent), and a range
 * leaves only if the file is still what was hashed. Throws FileChanged when
 * it is not (written to since, or shorter).
 */
export async function pumpChunks(hashed: HashedFile, plan: PumpPlan): Promise<void> {
  if (plan.id.length !== FILE_ID_BYTES) throw new RangeError("A transfer id is 16 bytes");
  const { size, chunk } = hashed;
  const ranges: Range[] = [];
  for (const index of plan.chunks) {
    const length = chunkLength(size, chunk, index);
    for (let offset = 0; offset < length; offset += READ_RANGE) {
      const part = Math.min(READ_RANGE, length - offset);
      ranges.push({ index, offset, length: part });
    }
  }
  /** Reads range `at`, into `into` (a buffer an earlier range is done with) when given. */
  const read = (at: number, into?: Uint8Array) => {
    const range = ranges[at];
    if (!range) return undefined;
    const { index, offset, length } = range;
    const asked = plan.desk.ask({
      op: "source-read",
      t: plan.t,
      index,
      position: index * chunk + offset,
      length,
      ...(into ? { into } : {}),
    });
    // Awaited at the next turn (its failure seen there): none is left dangling.
    asked.catch(() => {});
    return asked;
  };
  const frame = new Uint8Array(FRAME_HEADER + MAX_PIECE);
  let next = read(0);
  // The buffer of the range before: done with, it is read into again (no garbage per range).
  let spare: Uint8Array | undefined;
  for (let at = 0; at < ranges.length; at++) {
    const reply = await next!;
    next = read(at + 1, spare);
    spare = undefined;
    if (plan.signal.aborted) return;
    if (reply.op !== "source-range") throw failure(reply);
    const { index, offset } = ranges[at];
    const data = reply.data;
    for (let from = 0; from < data.length; from += MAX_PIECE) {
      if (plan.signal.aborted) return;
      const piece = data.subarray(from, from + MAX_PIECE);
      frame.set(piece, FRAME_HEADER);
      writeFrameHeader(frame, KIND_DATA, plan.id, { index, offset: offset + from });
      await plan.send(frame.subarray(0, FRAME_HEADER + piece.length));
      plan.sent(piece.length);
    }
    spare = new Uint8Array(data.buffer);
  }
}

/** The 16 bytes of a transfer id given in hex. */
export function idBytes(id: string): Uint8Array {
  const bytes = new Uint8Array(FILE_ID_BYTES);
  for (let i = 0; i < FILE_ID_BYTES; i++) bytes[i] = parseInt(id.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
