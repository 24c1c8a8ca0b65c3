/**
 * Several application messages in one record (docs/protocol.md §6).
 *
 * A Data record carries one message as its whole plaintext. A Batch record
 * carries several: its plaintext is two or more of
 * `length (4 bytes, big-endian) || message (length bytes)`. Batching small
 * messages that queue up while a write is in progress saves a seal, an open
 * and a write per message.
 *
 * @module
 */
import { RecordError } from "./errors.ts";

/** Largest application message: a Data record's whole plaintext. */
export const MAX_MESSAGE = 64 * 1024;
/** Length prefix of each message inside a record. */
export const MESSAGE_PREFIX = 4;

/** Bytes a batch buffer starts with; it doubles as messages come, up to a record's plaintext. */
const BATCH_START = 4 * 1024;
/** Most plaintext one record carries (docs/protocol.md §6). */
const MAX_PLAINTEXT = 64 * 1024;

const EMPTY = new Uint8Array(0);

/** One record's plaintext, ready to seal: a lone message (Data) or a batch (Batch). */
export type PackedRecord = {
  readonly batch: boolean;
  readonly plaintext: Uint8Array;
  /** Message bytes inside, without the length prefixes. */
  readonly messageBytes: number;
};

/**
 * Gathers small messages into one record plaintext as they come: each is
 * copied once, into one buffer per record, so the caller may reuse its own
 * buffer at once. take() hands the buffer over for sealing (which may finish
 * later, off the main thread) and starts a new one.
 */
export class BatchBuilder {
  // Made on the first add: an idle channel (most of a directory's) holds none.
  #buffer: Uint8Array = EMPTY;
  #view: DataView | undefined;
  #length = 0;
  #count = 0;

  /** Messages gathered. */
  get count(): number {
    return this.#count;
  }

  /** Whether `message` still fits in this record. */
  fits(message: Uint8Array): boolean {
    return this.#length + MESSAGE_PREFIX + message.length <= MAX_PLAINTEXT;
  }

  /** Adds `message` (a copy); check fits() first. */
  add(message: Uint8Array): void {
    const needed = this.#length + MESSAGE_PREFIX + message.length;
    if (needed > this.#buffer.length) {
      let size = Math.max(BATCH_START, this.#buffer.length);
      while (size < needed) size *= 2;
      const grown = new Uint8Array(Math.min(size, MAX_PLAINTEXT));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
      this.#view = new DataView(grown.buffer);
    }
    this.#view!.setUint32(this.#length, message.length);
    this.#buffer.set(message, this.#length + MESSAGE_PREFIX);
    this.#length = needed;
    this.#count++;
  }

  /** The gathered record, or undefined when empty; the builder starts afresh. */
  take(): PackedRecord | undefined {
    if (this.#count === 0) return undefined;
    const packed = {
      batch: this.#count > 1,
      plaintext: this.#count > 1
        ? this.#buffer.subarray(0, this.#length)
        : this.#buffer.subarray(MESSAGE_PREFIX, this.#length),
      messageBytes: this.#length - MESSAGE_PREFIX * this.#count,
    };
    this.#buffer = EMPTY;
    this.#view = undefined;
    this.#length = 0;
    this.#count = 0;
    return packed;
  }
}

/** Splits a record plaintext into its messages; throws RecordError if the lengths do not add up. */
export function unpackMessages(plaintext: Uint8Array): Uint8Array[] {
  const view = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.length);
  const messages: Uint8Array[] = [];
  let offset = 0;
  while (offset < plaintext.length) {
    if (offset + MESSAGE_PREFIX > plaintext.length) throw malformed();
    const length = view.getUint32(offset);
    offset += MESSAGE_PREFIX;
    if (length > MAX_MESSAGE || offset + length > plaintext.length) throw malformed();
    messages.push(plaintext.subarray(offset, offset + length));
    offset += length;
  }
  if (messages.length < 2) throw malformed();
  return messages;
}

function malformed(): RecordError {
  return new RecordError(
    "malformed",
    "A record's message lengths do not add up; closing the channel",
  );
}
