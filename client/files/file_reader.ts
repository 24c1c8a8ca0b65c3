/**
 * The sender's side on disk (docs/protocol.md §14.2, §14.3): hashing a file
 * once before it is offered (the whole file's SHA-256 and one per chunk, in
 * one pass), and reading chunks to send, each hashed again as it is read
 * and compared with the list before its last piece leaves: a file that
 * changed while it was sent is `changed`, and the receiver never gets a
 * chunk that does not match. Nothing holds more than one piece of the file.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { constants, type FileHandle, open } from "node:fs/promises";
import { basename, join } from "node:path";
import { FileError } from "../core/mod.ts";
import { equalBytes, sha256, toHex } from "../../crypto/mod.ts";
import { chunkCount, chunkLength, chunkSizeFor } from "./chunk_plan.ts";
import {
  FILE_ID_BYTES,
  FRAME_HEADER,
  HASH_BYTES,
  KIND_DATA,
  KIND_LIST,
  MAX_FILE_BYTES,
  MAX_LIST_PIECE,
  MAX_PIECE,
  writeFrameHeader,
} from "./file_messages.ts";
import type { Prepared } from "./outgoing.ts";

/** Bytes read at a time while hashing a file before the offer. */
const PREPARE_READ = 1024 * 1024;

/** The file changed (or shrank) after it was hashed. */
export class FileChanged extends Error {}

/** What identifies a file's content on disk without reading it: if any of it changes, hash again. */
export type Stamp = { dev: number; ino: number; size: number; mtimeMs: number };

/** A hashed file: what the offer says, and the chunk hashes the receiver is sent. */
export type HashedFile = Prepared & {
  readonly size: number;
  /** The chunk hashes, one after another. */
  readonly hashes: Uint8Array;
  readonly stamp: Stamp;
};

function stampOf(info: { dev: number; ino: number; size: number; mtimeMs: number }): Stamp {
  return { dev: info.dev, ino: info.ino, size: info.size, mtimeMs: info.mtimeMs };
}

const sameStamp = (a: Stamp, b: Stamp): boolean =>
  a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/**
 * Hashes files for offers, remembering the last few: sending the same
 * unchanged file again (to resume) costs no second pass.
 */
export class FileHasher {
  /** Files hashed this session, by path, while their stamp holds. */
  readonly #known = new Map<string, HashedFile>();
  readonly #limit: number;

  /** A hasher that remembers up to `limit` files. */
  constructor(limit = 16) {
    this.#limit = limit;
  }

  /** Hashes the file at `path` (opened as `file`), or returns what is known of it unchanged. */
  async hash(path: string, file: FileHandle): Promise<HashedFile> {
    const stamp = stampOf(await file.stat());
    const known = this.#known.get(path);
    if (known && sameStamp(known.stamp, stamp)) return known;
    const chunk = chunkSizeFor(stamp.size);
    const count = chunkCount(stamp.size, chunk);
    const whole = createHash("sha256");
    const hashes = new Uint8Array(count * HASH_BYTES);
    const buffer = new Uint8Array(Math.min(PREPARE_READ, chunk));
    for (let index = 0; index < count; index++) {
      const length = chunkLength(stamp.size, chunk, index);
      const part = createHash("sha256");
      for (let done = 0; done < length;) {
        const want = Math.min(buffer.length, length - done);
        const { bytesRead } = await file.read(buffer, 0, want, index * chunk + done);
        if (bytesRead === 0) throw new FileChanged(`${path} got shorter while it was hashed`);
        const bytes = buffer.subarray(0, bytesRead);
        whole.update(bytes);
        part.update(bytes);
        done += bytesRead;
      }
      hashes.set(part.digest(), index * HASH_BYTES);
    }
    if (!sameStamp(stamp, stampOf(await file.stat()))) {
      throw new FileChanged(`${path} changed while it was hashed`);
    }
    const hashed: HashedFile = {
      sha256: toHex(new Uint8Array(whole.digest())),
      list: toHex(sha256(hashes)),
      chunk,
      size: stamp.size,
      hashes,
      stamp,
    };
    this.#known.delete(path);
    this.#known.set(path, hashed);
    if (this.#known.size > this.#limit) this.#known.delete(this.#known.keys().next().value!);
    return hashed;
  }
}

/** A file opened to be sent: its handle, full path, name and size. */
export type FileToSend = { handle: FileHandle; full: string; name: string; size: number };

/**
 * Opens the file `/send` names (`~/` is under $HOME); throws FileError
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
    const handle = await open(full, constants.O_RDONLY);
    return { handle, full, name: basename(full), size: info.size };
  } catch (error) {
    throw new FileError({
      code: "bad-file",
      problem: "file-unreadable",
      path,
      cause: message(error),
    });
  }
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

/** Largest chunk read whole (and hashed in one go) before its pieces are sent; larger ones stream. */
const WHOLE_READ = 4 * 1024 * 1024;

/** What a pump does. */
export type PumpPlan = {
  id: Uint8Array;
  chunks: readonly number[];
  send: SendFrame;
  /** Counts the data bytes of each piece sent. */
  sent: (bytes: number) => void;
  signal: AbortSignal;
};

/**
 * Reads chunks `plan.chunks` of the file and sends them in pieces through
 * `plan.send`, until done or `plan.signal` aborts. A chunk is read whole
 * (the next one is read while this one is sent) and hashed, and sent only
 * if it still matches the list; a chunk larger than WHOLE_READ is read and
 * hashed piece by piece, its last piece held back until the hash matches.
 * Throws FileChanged when a chunk no longer matches (nothing of it that
 * would not match has left).
 */
export async function pumpChunks(
  file: FileHandle,
  hashed: HashedFile,
  plan: PumpPlan,
): Promise<void> {
  if (plan.id.length !== FILE_ID_BYTES) throw new RangeError("A transfer id is 16 bytes");
  const frame = new Uint8Array(FRAME_HEADER + MAX_PIECE);
  if (hashed.chunk > WHOLE_READ) return await pumpStreaming(file, hashed, plan, frame);
  const { size, chunk } = hashed;
  const buffers = [new Uint8Array(chunk), new Uint8Array(chunk)];
  const read = (at: number): Promise<Uint8Array> | undefined => {
    const index = plan.chunks[at];
    if (index === undefined) return undefined;
    return readChunk(
      file,
      buffers[at % 2].subarray(0, chunkLength(size, chunk, index)),
      index * chunk,
    );
  };
  let next = read(0);
  for (let at = 0; at < plan.chunks.length; at++) {
    const index = plan.chunks[at];
    const data = await next!;
    next = read(at + 1);
    // The read ahead is awaited (and its failure seen) at the next turn; none is left dangling.
    next?.catch(() => {});
    if (plan.signal.aborted) return;
    if (!matches(hashed, index, createHash("sha256").update(data).digest())) {
      throw new FileChanged(`chunk ${index} changed after the file was hashed`);
    }
    for (let offset = 0; offset < data.length; offset += MAX_PIECE) {
      if (plan.signal.aborted) return;
      const piece = data.subarray(offset, offset + MAX_PIECE);
      frame.set(piece, FRAME_HEADER);
      writeFrameHeader(frame, KIND_DATA, plan.id, { index, offset });
      await plan.send(frame.subarray(0, FRAME_HEADER + piece.length));
      plan.sent(piece.length);
    }
  }
}

/** Fills `buffer` from `position` of the file; FileChanged if the file ends first. */
async function readChunk(file: FileHandle, buffer: Uint8Array, position: number) {
  for (let done = 0; done < buffer.length;) {
    const { bytesRead } = await file.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) throw new FileChanged("the file got shorter while it was sent");
    done += bytesRead;
  }
  return buffer;
}

function matches(hashed: HashedFile, index: number, digest: Uint8Array): boolean {
  const expected = hashed.hashes.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
  return equalBytes(new Uint8Array(digest), expected);
}

/** pumpChunks() for chunks too large to hold: piece by piece, the last held until the hash matches. */
async function pumpStreaming(
  file: FileHandle,
  hashed: HashedFile,
  plan: PumpPlan,
  frame: Uint8Array,
): Promise<void> {
  const { size, chunk } = hashed;
  for (const index of plan.chunks) {
    const length = chunkLength(size, chunk, index);
    const hash = createHash("sha256");
    for (let offset = 0; offset < length; offset += MAX_PIECE) {
      if (plan.signal.aborted) return;
      const pieceLength = Math.min(MAX_PIECE, length - offset);
      const data = await readChunk(
        file,
        frame.subarray(FRAME_HEADER, FRAME_HEADER + pieceLength),
        index * chunk + offset,
      );
      hash.update(data);
      if (offset + pieceLength === length && !matches(hashed, index, hash.digest())) {
        throw new FileChanged(`chunk ${index} changed after the file was hashed`);
      }
      writeFrameHeader(frame, KIND_DATA, plan.id, { index, offset });
      await plan.send(frame.subarray(0, FRAME_HEADER + pieceLength));
      plan.sent(pieceLength);
    }
  }
}

/** The 16 bytes of a transfer id given in hex. */
export function idBytes(id: string): Uint8Array {
  const bytes = new Uint8Array(FILE_ID_BYTES);
  for (let i = 0; i < FILE_ID_BYTES; i++) bytes[i] = parseInt(id.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
