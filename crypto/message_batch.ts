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

/** Packs messages into one record plaintext. */
export function packMessages(messages: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const message of messages) {
    view.setUint32(offset, message.length);
    out.set(message, offset + MESSAGE_PREFIX);
    offset += MESSAGE_PREFIX + message.length;
  }
  return out;
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
