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
import { TAG_LENGTH } from "./aead.ts";
import { RecordError } from "./errors.ts";
import { type Frame, FrameType, HEADER_LENGTH, writeHeader } from "./frame.ts";
import type { DirectionalKeys } from "./key_schedule.ts";
import { NonceCounter } from "./nonce_counter.ts";

/** Most plaintext bytes one record may carry. */
export const MAX_RECORD_PLAINTEXT = 64 * 1024;
/** Length of the sequence number in a record. */
export const SEQ_LENGTH = 8;
/** Largest record frame body: sequence number, plaintext, tag. */
export const MAX_RECORD_BODY = SEQ_LENGTH + MAX_RECORD_PLAINTEXT + TAG_LENGTH;
const AAD_LENGTH = HEADER_LENGTH + SEQ_LENGTH;

type Direction = DirectionalKeys["initiatorToResponder"];

/** A decrypted record. */
export type Record = {
  readonly type: typeof FrameType.Data | typeof FrameType.Close;
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
  readonly #direction: Direction;
  readonly #counter: NonceCounter;

  constructor(direction: Direction, limit?: number) {
    this.#direction = direction;
    this.#counter = new NonceCounter(direction.iv, limit);
  }

  /**
   * Seals one record. The sequence number is taken synchronously, so records
   * must be written in the order of the calls even when sealing overlaps.
   */
  seal(
    type: typeof FrameType.Data | typeof FrameType.Close,
    plaintext: Uint8Array,
  ): Promise<Uint8Array> {
    if (plaintext.length > MAX_RECORD_PLAINTEXT) {
      throw new RangeError(
        `A record carries at most ${MAX_RECORD_PLAINTEXT} bytes, got ${plaintext.length}`,
      );
    }
    const seq = this.#counter.take();
    const aad = new Uint8Array(AAD_LENGTH);
    writeHeader(aad, type, SEQ_LENGTH + plaintext.length + TAG_LENGTH);
    writeSeq(aad, HEADER_LENGTH, seq);
    return this.#direction.key.seal(this.#counter.nonceFor(seq), plaintext, aad).then((sealed) => {
      const frame = new Uint8Array(AAD_LENGTH + sealed.length);
      frame.set(aad);
      frame.set(sealed, AAD_LENGTH);
      return frame;
    });
  }
}

/** Opens incoming records, refusing any out of sequence or altered. */
export class RecordOpener {
  readonly #direction: Direction;
  readonly #counter: NonceCounter;

  constructor(direction: Direction) {
    this.#direction = direction;
    this.#counter = new NonceCounter(direction.iv);
  }

  /** Opens one record frame; throws RecordError with a specific code on any fault. */
  async open(frame: Frame): Promise<Record> {
    if (frame.type !== FrameType.Data && frame.type !== FrameType.Close) {
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
    const aad = frame.bytes.subarray(0, AAD_LENGTH);
    const plaintext = await this.#direction.key.open(
      this.#counter.nonceFor(seq),
      frame.body.subarray(SEQ_LENGTH),
      aad,
    );
    if (plaintext === null) {
      throw new RecordError("tampered", `Record ${seq} failed authentication: it was altered`);
    }
    this.#counter.take();
    return { type: frame.type, plaintext };
  }
}
