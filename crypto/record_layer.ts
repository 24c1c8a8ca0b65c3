/**
 * Application records (docs/protocol.md §6).
 *
 * Wire layout of a record frame body: `seq (8 bytes, big-endian) || ciphertext || tag (16 bytes)`.
 * The AAD is the frame header and the sequence number, so neither type,
 * length nor position can be changed without detection. The sequence number
 * travels in clear only so that a replay or a gap gets its own error; the
 * nonce is built from our own counter, never from what the peer sent.
 *
 * @module
 */
import { type AesGcmKey, TAG_LENGTH } from "./aead.ts";
import { RecordError } from "./errors.ts";
import { type Frame, FrameType, HEADER_LENGTH, writeHeader } from "./frame.ts";
import type { DirectionalKeys } from "./key_schedule.ts";
import { NonceCounter } from "./nonce_counter.ts";

/** Most plaintext bytes one record may carry. */
export const MAX_RECORD_PLAINTEXT = 64 * 1024;
/** Length of the sequence number in a record. */
export const SEQ_LENGTH = 8;
/** Largest record frame body: sequence number, plaintext, tag. */
export const MAX_RECORD_BODY: number = SEQ_LENGTH + MAX_RECORD_PLAINTEXT + TAG_LENGTH;
const AAD_LENGTH = HEADER_LENGTH + SEQ_LENGTH;

type Direction = DirectionalKeys["initiatorToResponder"];

/** The frame types that carry records. */
export type RecordType = typeof FrameType.Data | typeof FrameType.Batch | typeof FrameType.Close;

/** A decrypted record. */
export type Record = {
  readonly type: RecordType;
  readonly plaintext: Uint8Array;
};

function writeSeq(out: Uint8Array, offset: number, seq: number): void {
  const view = new DataView(out.buffer, out.byteOffset + offset, SEQ_LENGTH);
  view.setUint32(0, Math.floor(seq / 2 ** 32));
  view.setUint32(4, seq >>> 0);
}

function readSeq(body: Uint8Array): number {
  const view = new DataView(body.buffer, body.byteOffset, SEQ_LENGTH);
  return view.getUint32(0) * 2 ** 32 + view.getUint32(4);
}

/** Seals outgoing records in sequence. */
export class RecordSealer {
  readonly #key: AesGcmKey;
  readonly #counter: NonceCounter;

  /** Seals with `direction`'s key, at most `limit` records (MAX_RECORDS_PER_KEY by default). */
  constructor(direction: Direction, limit?: number) {
    this.#key = direction.key;
    this.#counter = new NonceCounter(direction.iv, limit);
  }

  /** Throws nonce-exhausted if no record can be sealed any more. */
  checkCapacity(): void {
    this.#counter.assertAvailable();
  }

  /**
   * Seals one record into a whole frame. The sequence number is taken at the
   * call, so frames must be written in call order even when sealing overlaps;
   * small records come back at once (not as a promise).
   */
  seal(
    type: RecordType,
    plaintext: Uint8Array,
  ): Uint8Array | Promise<Uint8Array> {
    if (plaintext.length > MAX_RECORD_PLAINTEXT) {
      throw new RangeError(
        `A record carries at most ${MAX_RECORD_PLAINTEXT} bytes, got ${plaintext.length}`,
      );
    }
    const seq = this.#counter.take();
    const aad = new Uint8Array(AAD_LENGTH);
    writeHeader(aad, type, SEQ_LENGTH + plaintext.length + TAG_LENGTH);
    writeSeq(aad, HEADER_LENGTH, seq);
    // The key leaves room for the AAD in front: the AAD is the frame's own first bytes.
    const sealed = this.#key.seal(
      this.#counter.nonceFor(seq),
      plaintext,
      aad,
      AAD_LENGTH,
    );
    if (sealed instanceof Uint8Array) {
      sealed.set(aad);
      return sealed;
    }
    return sealed.then((frame) => {
      frame.set(aad);
      return frame;
    });
  }
}

/** Opens incoming records, refusing any out of sequence or altered. */
export class RecordOpener {
  readonly #key: AesGcmKey;
  readonly #counter: NonceCounter;

  /** Opens records sealed with `direction`'s key, in order. */
  constructor(direction: Direction) {
    this.#key = direction.key;
    this.#counter = new NonceCounter(direction.iv);
  }

  /**
   * Opens one record frame; throws (or rejects) RecordError with a specific
   * code on any fault. The sequence is checked and advanced at the call, so
   * frames must be opened in arrival order; they may finish decrypting in any.
   */
  open(frame: Frame): Record | Promise<Record> {
    if (
      frame.type !== FrameType.Data && frame.type !== FrameType.Batch &&
      frame.type !== FrameType.Close
    ) {
      throw new RecordError(
        "unexpected-type",
        `Unexpected frame type ${frame.type} on an established channel`,
      );
    }
    if (frame.body.length < SEQ_LENGTH + TAG_LENGTH) {
      throw new RecordError("tampered", "Record too short to hold a sequence number and a tag");
    }
    const seq = readSeq(frame.body);
    const expected = this.#counter.next;
    if (seq < expected) {
      throw new RecordError(
        "replayed",
        `Record ${seq} arrived again after record ${expected - 1}; closing the channel`,
      );
    }
    if (seq > expected) {
      throw new RecordError(
        "missing",
        `Record ${seq} arrived while record ${expected} was due: records were dropped or reordered`,
      );
    }
    this.#counter.take();
    const type = frame.type as RecordType;
    const plaintext = this.#key.open(
      this.#counter.nonceFor(seq),
      frame.body.subarray(SEQ_LENGTH),
      frame.bytes.subarray(0, AAD_LENGTH),
    );
    const check = (plain: Uint8Array | null): Record => {
      if (plain === null) {
        throw new RecordError("tampered", `Record ${seq} failed authentication: it was altered`);
      }
      return { type, plaintext: plain };
    };
    return plaintext instanceof Promise ? plaintext.then(check) : check(plaintext);
  }
}
