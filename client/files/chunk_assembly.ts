/**
 * The bytes of one chunk as they arrive (docs/protocol.md §14.3): which
 * ranges are in, and its SHA-256 taken as they come while they come in
 * order. A chunk travels in pieces on a fixed grid (MAX_PIECE bytes each,
 * the last shorter), so a piece is in or not. Pieces normally arrive in
 * order on one connection; across a move between relay and direct (§11.1)
 * two connections deliver at once, so a piece may come early or twice. A
 * piece in already is skipped; one out of order gives up the running hash,
 * and the chunk is hashed again from disk once complete.
 *
 * @example
 * ```ts
 * import { ChunkAssembly } from "./chunk_assembly.ts";
 *
 * const chunk = new ChunkAssembly(6);
 * console.log(chunk.fits(0, 6), chunk.fits(3, 3)); // true false: pieces are on a grid
 * chunk.add(0, new TextEncoder().encode("abcdef"));
 * console.log(chunk.complete, chunk.digest() !== null); // true true
 * ```
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { Bitmap } from "./chunk_plan.ts";
import { MAX_PIECE } from "./file_messages.ts";

/** A running SHA-256 over bytes that must come in order from position 0. */
export class InOrderHash {
  #hash: Hash | null = createHash("sha256");
  #at = 0;

  /** Feeds the part of `data` (at `position`) beyond what was hashed; gives up when a gap opens. */
  feed(position: number, data: Uint8Array): void {
    if (!this.#hash) return;
    const end = position + data.length;
    if (end <= this.#at) return;
    if (position > this.#at) {
      this.#hash = null;
      return;
    }
    this.#hash.update(data.subarray(this.#at - position));
    this.#at = end;
  }

  /** Gives the hash up: bytes came that it cannot follow (a resume). */
  abandon(): void {
    this.#hash = null;
  }

  /** The digest of the first `length` bytes, if they all came in order; null otherwise. */
  digest(length: number): Uint8Array | null {
    if (!this.#hash || this.#at !== length) return null;
    const digest = new Uint8Array(this.#hash.digest());
    this.#hash = null;
    return digest;
  }
}

/** One chunk being assembled, in pieces of MAX_PIECE bytes (the last may be shorter). */
export class ChunkAssembly {
  /** The chunk's length. */
  readonly length: number;
  /** Which pieces are in. */
  readonly #pieces: Bitmap;
  readonly #hash = new InOrderHash();
  #covered = 0;

  /** An empty chunk of `length` bytes. */
  constructor(length: number) {
    this.length = length;
    this.#pieces = new Bitmap(Math.ceil(length / MAX_PIECE));
  }

  /** Bytes in. */
  get covered(): number {
    return this.#covered;
  }

  /** Whether every byte is in. */
  get complete(): boolean {
    return this.#pieces.full;
  }

  /**
   * Whether `length` bytes at `offset` are a piece of this chunk: on the
   * MAX_PIECE grid and whole (only the chunk's last piece is shorter).
   */
  fits(offset: number, length: number): boolean {
    return offset % MAX_PIECE === 0 && offset < this.length &&
      length === Math.min(MAX_PIECE, this.length - offset);
  }

  /** Adds the piece `data` at `offset` (one that fits); false when it was in already. */
  add(offset: number, data: Uint8Array): boolean {
    const piece = offset / MAX_PIECE;
    if (this.#pieces.has(piece)) return false;
    this.#pieces.set(piece);
    this.#hash.feed(offset, data);
    this.#covered += data.length;
    return true;
  }

  /** The chunk's SHA-256 when it came whole and in order; null when it must be hashed from disk. */
  digest(): Uint8Array | null {
    return this.#hash.digest(this.length);
  }
}
