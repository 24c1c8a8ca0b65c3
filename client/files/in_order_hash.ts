/**
 * A running SHA-256 over bytes that must come in order from position 0
 * from a start (part_desk.ts keeps one per open chunk and one for the whole
 * file): bytes
 * it has seen again are skipped, and a gap makes it give up, so the hash is
 * taken from disk instead.
 *
 * @example
 * ```ts
 * import { InOrderHash } from "./in_order_hash.ts";
 *
 * const hash = new InOrderHash();
 * hash.feed(0, new Uint8Array([1, 2]));
 * hash.feed(2, new Uint8Array([3]));
 * console.log(hash.digest(3)?.length); // 32
 * ```
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";

/** A running SHA-256 over bytes that must come in order from a start. */
export class InOrderHash {
  #hash: Hash | null = createHash("sha256");
  #at: number;

  /** A hash of the bytes from position `start` on. */
  constructor(start = 0) {
    this.#at = start;
  }

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

  /** The digest of the bytes from the start up to `end`, if they all came in order; null otherwise. */
  digest(end: number): Uint8Array | null {
    if (!this.#hash || this.#at !== end) return null;
    const digest = new Uint8Array(this.#hash.digest());
    this.#hash = null;
    return digest;
  }
}
