/**
 * The pieces of one chunk as they arrive (docs/protocol.md §14.1, §14.3): a
 * chunk travels in pieces on a fixed grid (MAX_PIECE bytes each, the last
 * shorter), so a piece is in or not. Pieces normally arrive in order on one
 * connection; across a move between relay and direct (§11.1) two
 * connections deliver at once, so a piece may come early or twice: one in
 * already is skipped. Its hash is the part desk's (part_desk.ts).
 *
 * @example
 * ```ts
 * import { ChunkAssembly } from "./chunk_assembly.ts";
 *
 * const chunk = new ChunkAssembly(6);
 * console.log(chunk.fits(0, 6), chunk.fits(3, 3)); // true false: pieces are on a grid
 * chunk.add(0, new TextEncoder().encode("abcdef"));
 * console.log(chunk.complete); // true
 * ```
 *
 * @module
 */
import { Bitmap } from "./chunk_plan.ts";
import { MAX_PIECE } from "./file_messages.ts";

/** One chunk being assembled, in pieces of MAX_PIECE bytes (the last may be shorter). */
export class ChunkAssembly {
  /** The chunk's length. */
  readonly length: number;
  /** Which pieces are in. */
  readonly #pieces: Bitmap;
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
    this.#covered += data.length;
    return true;
  }
}
