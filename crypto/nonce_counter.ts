/**
 * The one owner of a direction's record counter. Nonces are
 * `iv XOR (0 (4 bytes) || seq (8 bytes, big-endian))`, as in RFC 8446 §5.3,
 * so a counter that only ever goes up never repeats a nonce under a key.
 *
 * @module
 */
import { RecordError } from "./errors.ts";
import { NONCE_LENGTH } from "./aead.ts";

/**
 * Records one key may protect. RFC 8446 §5.5 bounds AES-GCM at 2^24.5
 * full-size records per key; we stop at 2^24 and the caller reconnects.
 */
export const MAX_RECORDS_PER_KEY = 2 ** 24;

/** A strictly increasing 64-bit sequence number that yields one nonce per value. */
export class NonceCounter {
  readonly #iv: Uint8Array;
  readonly #limit: number;
  #next = 0;

  /**
   * A counter over the 12-byte `iv` that refuses past `limit` nonces. The
   * iv is kept as given, not copied: it is key material the key schedule
   * made for this direction alone (deriveKeys), and nothing changes it.
   */
  constructor(iv: Uint8Array, limit: number = MAX_RECORDS_PER_KEY) {
    if (iv.length !== NONCE_LENGTH) throw new RangeError(`IVs are ${NONCE_LENGTH} bytes`);
    this.#iv = iv;
    this.#limit = limit;
  }

  /** The sequence number the next record carries. */
  get next(): number {
    return this.#next;
  }

  /** Whether no sequence number is left under this key. */
  get exhausted(): boolean {
    return this.#next >= this.#limit;
  }

  /** Throws nonce-exhausted once the key's limit is reached. */
  assertAvailable(): void {
    if (this.exhausted) {
      throw new RecordError(
        "nonce-exhausted",
        `This channel has sent ${this.#limit} records under one key; reconnect to get fresh keys`,
      );
    }
  }

  /** Takes the next sequence number; refuses once the key's limit is reached. */
  take(): number {
    this.assertAvailable();
    return this.#next++;
  }

  /** The nonce for sequence number `seq`. */
  nonceFor(seq: number): Uint8Array {
    const nonce = this.#iv.slice();
    const high = Math.floor(seq / 2 ** 32);
    const low = seq >>> 0;
    nonce[4] ^= high >>> 24;
    nonce[5] ^= (high >>> 16) & 0xff;
    nonce[6] ^= (high >>> 8) & 0xff;
    nonce[7] ^= high & 0xff;
    nonce[8] ^= low >>> 24;
    nonce[9] ^= (low >>> 16) & 0xff;
    nonce[10] ^= (low >>> 8) & 0xff;
    nonce[11] ^= low & 0xff;
    return nonce;
  }
}
