/**
 * What two peers say about a file (docs/protocol.md §14.1), inside the
 * chat's secure channel: JSON peer messages for the conversation (offer,
 * accept, end, want, done, cancel), and binary messages for the bytes (the
 * chunk hash list and the chunk data). Both are decoded strictly, with
 * bounds, here; anything off is a PeerProtocolError naming the rule broken.
 *
 * A binary message, one record's plaintext:
 *
 * ```
 * 0x00 || kind (1) || transfer id (16) || index (4, BE) || offset (4, BE) || data
 * kind 0x01  hash list piece: index 0, offset into the list (a multiple of 32), data whole hashes
 * kind 0x02  chunk data:      index of the chunk, offset into the chunk, data
 * ```
 *
 * Chunk data travels on a fixed grid: each piece is MAX_PIECE bytes at an
 * offset that is a multiple of MAX_PIECE, except the chunk's last, which
 * ends with the chunk (the receiver checks, incoming.ts).
 *
 * JSON messages start with `{`, so the first byte tells the two apart.
 *
 * @module
 */
import { MAX_MESSAGE, toHex } from "../../crypto/mod.ts";
import { type Check, checks, type JsonObject } from "../../protocol/mod.ts";
import { PeerProtocolError } from "../core/mod.ts";

/** The first byte of a binary file message (a JSON message starts with `{`). */
export const FILE_FRAME_MARK = 0x00;
/** The kind of a hash list piece. */
export const KIND_LIST = 0x01;
/** The kind of a piece of chunk data. */
export const KIND_DATA = 0x02;
/** Bytes of a transfer id (random, 128 bits). */
export const FILE_ID_BYTES = 16;
/** Bytes before the data in a binary file message. */
export const FRAME_HEADER: number = 2 + FILE_ID_BYTES + 4 + 4;
/** Most data bytes one binary file message carries: one record's plaintext, less the header. */
export const MAX_PIECE = MAX_MESSAGE - FRAME_HEADER;
/** Bytes of one SHA-256 hash. */
export const HASH_BYTES = 32;
/** Most hash list bytes one piece carries: whole hashes only. */
export const MAX_LIST_PIECE = Math.floor(MAX_PIECE / HASH_BYTES) * HASH_BYTES;
/** Longest name an offer may carry, in UTF-16 code units (it is made safe before use, §14.4). */
export const MAX_OFFERED_NAME = 1024;
/** Most chunks a file may have: its hash list is at most 2 MiB. */
export const MAX_CHUNKS = 65_536;
/** Smallest chunk an offer may use. */
export const MIN_CHUNK = 64 * 1024;
/** Largest chunk an offer may use. */
export const MAX_CHUNK = 64 * 1024 * 1024;
/** Largest file the protocol carries: MAX_CHUNKS chunks of MAX_CHUNK bytes (4 TiB). */
export const MAX_FILE_BYTES = MAX_CHUNKS * MAX_CHUNK;
/** Longest `have` bitmap, in base64 characters (one bit per chunk). */
const MAX_HAVE_BASE64 = Math.ceil(MAX_CHUNKS / 8 / 3) * 4;

/** Why a receiver declines an offer. */
export const FILE_DECLINE_REASONS = ["declined", "too-large", "busy"] as const;
/** Why a receiver declined. */
export type FileDeclineReason = typeof FILE_DECLINE_REASONS[number];
/** Why either side stops a transfer under way. */
export const FILE_CANCEL_REASONS = [
  "cancelled",
  "corrupt",
  "no-space",
  "changed",
  "unreadable",
  "unwritable",
] as const;
/** Why a transfer was stopped by the other side. */
export type FileCancelReason = typeof FILE_CANCEL_REASONS[number];

/** What an offer says of the file. */
export type OfferedFile = {
  /** The transfer's id, 32 hex digits (the sender's choice). */
  readonly id: string;
  /** The name the sender gives it: hostile input, made safe before any use. */
  readonly name: string;
  readonly size: number;
  /** SHA-256 of the whole file, hex. */
  readonly sha256: string;
  /** Bytes per chunk (the last may be shorter). */
  readonly chunk: number;
  /** SHA-256 of the list of chunk hashes, hex. */
  readonly list: string;
};

/** The messages of a file transfer. */
export type FileMessage =
  | ({ type: "file-offer" } & OfferedFile)
  /** `have`: base64 bitmap of the chunks the receiver kept from before (resume). */
  | { type: "file-accept"; id: string; have: string }
  | { type: "file-decline"; id: string; reason: FileDeclineReason; max?: number }
  /** Everything asked for was sent. */
  | { type: "file-end"; id: string }
  /** Some chunks (or the list) never came: send them again. */
  | { type: "file-want"; id: string; have: string; list?: true }
  /** The file is complete, checked and in place. */
  | { type: "file-done"; id: string }
  /** The receiver has taken `bytes` of data so far in this attempt: the sender's window moves on. */
  | { type: "file-ack"; id: string; bytes: number }
  | { type: "file-cancel"; id: string; reason: FileCancelReason }
  /** Binary: a piece of the chunk hash list. */
  | { type: "file-list"; id: string; offset: number; data: Uint8Array }
  /** Binary: a piece of chunk `index`, at `offset` inside it. */
  | { type: "file-data"; id: string; index: number; offset: number; data: Uint8Array };

/** The types of file messages. */
export type FileMessageType = FileMessage["type"];

/** A random 128-bit transfer id, in hex. */
export function randomTransferId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(FILE_ID_BYTES)));
}

/** Whether `message` is one of a file transfer's. */
export function isFileMessage(message: { type: string }): message is FileMessage {
  return message.type.startsWith("file-");
}

const fail = (message: string): PeerProtocolError => new PeerProtocolError(message);
const isId = checks.hex(FILE_ID_BYTES * 2);
const isHash = checks.hex(HASH_BYTES * 2);
const isSize: Check<number> = (v): v is number =>
  Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_FILE_BYTES;
/** A power of two from MIN_CHUNK to MAX_CHUNK. */
const isChunk: Check<number> = (v): v is number =>
  Number.isSafeInteger(v) && (v as number) >= MIN_CHUNK && (v as number) <= MAX_CHUNK &&
  ((v as number) & ((v as number) - 1)) === 0;
const isHave = checks.base64(MAX_HAVE_BASE64);

/** Decodes the JSON file message of `type` in `o` (peer_messages.ts parsed it). */
export function decodeFileJson(type: string, o: JsonObject): FileMessage {
  const id = o.field("id", isId, "a 32-digit hex transfer id");
  switch (type) {
    case "file-offer": {
      const size = o.field("size", isSize, `a size from 0 to ${MAX_FILE_BYTES} bytes`);
      const chunk = o.field("chunk", isChunk, "a power of two from 64 KiB to 64 MiB");
      if (Math.ceil(size / chunk) > MAX_CHUNKS) {
        throw fail(`an offer of more than ${MAX_CHUNKS} chunks`);
      }
      return {
        type,
        id,
        name: o.field(
          "name",
          checks.shortString(MAX_OFFERED_NAME),
          `a name of at most ${MAX_OFFERED_NAME} characters`,
        ),
        size,
        sha256: o.field("sha256", isHash, "a SHA-256 in 64 hex digits"),
        chunk,
        list: o.field("list", isHash, "a SHA-256 in 64 hex digits"),
      };
    }
    case "file-accept":
      return { type, id, have: o.field("have", isHave, "a base64 bitmap") };
    case "file-decline": {
      const reason = o.field("reason", checks.oneOf(FILE_DECLINE_REASONS), "a known reason");
      const max = o.optional("max", isSize, "a size in bytes");
      return max === undefined ? { type, id, reason } : { type, id, reason, max };
    }
    case "file-want": {
      const have = o.field("have", isHave, "a base64 bitmap");
      const list = o.optional("list", (v): v is true => v === true, "true");
      return list ? { type, id, have, list } : { type, id, have };
    }
    case "file-ack":
      return { type, id, bytes: o.field("bytes", isSize, "a byte count") };
    case "file-end":
    case "file-done":
      return { type, id };
    case "file-cancel":
      return { type, id, reason: o.field("reason", checks.oneOf(FILE_CANCEL_REASONS), "a reason") };
    default:
      throw o.fail("a file message of an unknown type");
  }
}

/** Decodes a binary file message (its first byte is FILE_FRAME_MARK). */
export function decodeFileFrame(bytes: Uint8Array): FileMessage {
  if (bytes.length <= FRAME_HEADER) throw fail("a file message shorter than its header");
  if (bytes.length > MAX_MESSAGE) throw fail(`a file message of more than ${MAX_MESSAGE} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = bytes[1];
  const id = toHex(bytes.subarray(2, 2 + FILE_ID_BYTES));
  const index = view.getUint32(2 + FILE_ID_BYTES);
  const offset = view.getUint32(6 + FILE_ID_BYTES);
  const data = bytes.subarray(FRAME_HEADER);
  if (kind === KIND_LIST) {
    if (index !== 0) throw fail("a hash list piece with an index");
    if (offset % HASH_BYTES !== 0 || data.length % HASH_BYTES !== 0) {
      throw fail("a hash list piece that is not whole hashes");
    }
    return { type: "file-list", id, offset, data };
  }
  if (kind === KIND_DATA) {
    if (index >= MAX_CHUNKS) throw fail(`chunk data for a chunk past ${MAX_CHUNKS}`);
    if (offset >= MAX_CHUNK) throw fail("chunk data past the largest chunk");
    return { type: "file-data", id, index, offset, data };
  }
  throw fail("a binary file message of an unknown kind");
}

const encoder = new TextEncoder();

/**
 * Writes the header of a binary file message into the first FRAME_HEADER
 * bytes of `frame` (the data follows it there): the sender reads file data
 * straight into one buffer and sends it.
 */
export function writeFrameHeader(
  frame: Uint8Array,
  kind: typeof KIND_LIST | typeof KIND_DATA,
  id: Uint8Array,
  at: { index: number; offset: number },
): void {
  const view = new DataView(frame.buffer, frame.byteOffset, FRAME_HEADER);
  frame[0] = FILE_FRAME_MARK;
  frame[1] = kind;
  frame.set(id, 2);
  view.setUint32(2 + FILE_ID_BYTES, at.index);
  view.setUint32(6 + FILE_ID_BYTES, at.offset);
}

/** Encodes a file message: binary for list and data pieces, JSON for the rest. */
export function encodeFileMessage(message: FileMessage): Uint8Array {
  if (message.type !== "file-list" && message.type !== "file-data") {
    return encoder.encode(JSON.stringify(message));
  }
  const frame = new Uint8Array(FRAME_HEADER + message.data.length);
  const id = new Uint8Array(FILE_ID_BYTES);
  for (let i = 0; i < FILE_ID_BYTES; i++) id[i] = parseInt(message.id.slice(2 * i, 2 * i + 2), 16);
  const kind = message.type === "file-list" ? KIND_LIST : KIND_DATA;
  const index = message.type === "file-data" ? message.index : 0;
  writeFrameHeader(frame, kind, id, { index, offset: message.offset });
  frame.set(message.data, FRAME_HEADER);
  return frame;
}
