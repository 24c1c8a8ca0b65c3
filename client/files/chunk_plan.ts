/**
 * How a file is cut into chunks (docs/protocol.md §14.2), and the bitmap of
 * chunks that says which ones a receiver holds (the `have` of an accept or a
 * want): one bit per chunk, chunk 0 in the high bit of the first byte, the
 * unused bits of the last byte zero.
 *
 * @example
 * ```ts
 * import { Bitmap, chunkSizeFor } from "./chunk_plan.ts";
 *
 * console.log(chunkSizeFor(256 * 1024 * 1024)); // 1048576
 * const have = new Bitmap(10);
 * have.set(0);
 * have.set(9);
 * console.log(have.toBase64(), Bitmap.fromBase64(have.toBase64(), 10)?.count); // "gEA=" 2
 * ```
 *
 * @module
 */
import { fromBase64, toBase64 } from "../../crypto/mod.ts";
import { FRAME_HEADER, HASH_BYTES, MAX_CHUNK, MAX_CHUNKS, MAX_PIECE } from "./file_messages.ts";

/** The chunk a sender uses unless the file is too large for MAX_CHUNKS of it. */
export const DEFAULT_CHUNK = 1024 * 1024;

/** The chunk size for a file of `size` bytes: DEFAULT_CHUNK, doubled until MAX_CHUNKS suffice. */
export function chunkSizeFor(size: number): number {
  let chunk = DEFAULT_CHUNK;
  while (Math.ceil(size / chunk) > MAX_CHUNKS && chunk < MAX_CHUNK) chunk *= 2;
  return chunk;
}

/** How many chunks `size` bytes make. */
export function chunkCount(size: number, chunk: number): number {
  return Math.ceil(size / chunk);
}

/** The length of chunk `index` of a file of `size` bytes (the last may be shorter). */
export function chunkLength(size: number, chunk: number, index: number): number {
  return Math.min(chunk, size - index * chunk);
}

/** What a record adds to its message on the wire: header, sequence number, tag (§6). */
const RECORD_OVERHEAD = 5 + 8 + 16;
/** Room left for the conversation around a file through the relay (offer, accept, end, done). */
const RELAY_TALK = 4096;

/**
 * The bytes a file of `size` in chunks of `chunk` takes through the relay
 * (the relay counts what it copies): its pieces with their headers and
 * records, and its hash list.
 */
export function relayBytes(size: number, chunk: number): number {
  const chunks = chunkCount(size, chunk);
  const pieces = Math.ceil(size / MAX_PIECE) + chunks +
    Math.ceil((chunks * HASH_BYTES) / MAX_PIECE);
  return size + chunks * HASH_BYTES + pieces * (FRAME_HEADER + RECORD_OVERHEAD) + RELAY_TALK;
}

/** One bit per chunk: which ones are held. */
export class Bitmap {
  /** How many chunks it covers. */
  readonly size: number;
  readonly #bits: Uint8Array;
  #count = 0;

  /** An empty bitmap of `size` chunks. */
  constructor(size: number) {
    this.size = size;
    this.#bits = new Uint8Array(Math.ceil(size / 8));
  }

  /** The bitmap `text` encodes for `size` chunks, or null when it is not one (wrong length, stray bits). */
  static fromBase64(text: string, size: number): Bitmap | null {
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(text);
    } catch {
      return null;
    }
    const map = new Bitmap(size);
    if (bytes.length !== map.#bits.length) return null;
    const spare = map.#bits.length * 8 - size;
    if (spare > 0 && (bytes.at(-1)! & ((1 << spare) - 1)) !== 0) return null;
    map.#bits.set(bytes);
    for (const byte of bytes) map.#count += popcount(byte);
    return map;
  }

  /** How many chunks are held. */
  get count(): number {
    return this.#count;
  }

  /** Whether every chunk is held. */
  get full(): boolean {
    return this.#count === this.size;
  }

  /** Whether chunk `index` is held. */
  has(index: number): boolean {
    return (this.#bits[index >> 3] & (0x80 >> (index & 7))) !== 0;
  }

  /** Marks chunk `index` held. */
  set(index: number): void {
    if (!(index >= 0 && index < this.size)) throw new RangeError(`No chunk ${index}`);
    if (this.has(index)) return;
    this.#bits[index >> 3] |= 0x80 >> (index & 7);
    this.#count++;
  }

  /** The chunks not held, in order. */
  missing(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (!this.has(i)) out.push(i);
    return out;
  }

  /** The bitmap as it travels. */
  toBase64(): string {
    return toBase64(this.#bits);
  }
}

function popcount(byte: number): number {
  let n = 0;
  for (let b = byte; b !== 0; b &= b - 1) n++;
  return n;
}
