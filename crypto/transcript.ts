/**
 * The handshake transcript: every handshake frame as it went over the wire,
 * hashed as it grows (SHA-256, node:crypto), so each transcript hash the key
 * schedule needs costs a copy of the running state, not a pass over all
 * frames again (docs/protocol.md §3).
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";

/** A running SHA-256 over the handshake frames. */
export class Transcript {
  readonly #hash: Hash = createHash("sha256");

  /** Adds frames, in wire order. */
  append(...frames: Uint8Array[]): void {
    for (const frame of frames) this.#hash.update(frame);
  }

  /** SHA-256 of everything appended so far. */
  hash(): Uint8Array {
    return new Uint8Array(this.#hash.copy().digest());
  }
}
