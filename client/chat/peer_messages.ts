/**
 * What two peers say inside their secure channel (docs/protocol.md §10): one
 * JSON object per record, decoded strictly. Anything off is a
 * PeerProtocolError naming the rule broken, never a crash.
 *
 * @module
 */
import { toHex } from "../../crypto/mod.ts";
import { PeerProtocolError } from "../core/mod.ts";

export { PeerProtocolError };

/** Longest message text, in UTF-16 code units. */
export const MAX_TEXT_LENGTH = 16_000;
/** Longest encoded peer message accepted. */
const MAX_PEER_MESSAGE_BYTES = 64 * 1024;
/** Longest message id (`m` and up to 16 digits). */
const MAX_ID_LENGTH = 17;
/** Longest name a hello may carry (longer than any valid name, which the receiver checks). */
const MAX_HELLO_NAME = 64;
/** Latest time a Date can hold (ECMA-262 §21.4.1.1), in ms either side of the epoch. */
const MAX_TIME = 8.64e15;

/** Every reason a peer may give for declining. */
export const DECLINE_REASONS = ["user", "security", "busy", "timeout"] as const;
/** Why a peer declined. */
export type DeclineReason = typeof DECLINE_REASONS[number];

/** Peer-to-peer messages. */
export type PeerMessage =
  /** The initiator's first words: who it claims to be, and the chat's id (to move it later). */
  | { type: "hello"; name: string; chat?: string }
  /** The first words on a new connection that is to carry an open chat (docs/protocol.md §11.1). */
  | { type: "resume"; name: string; chat: string }
  /** The answer to resume: the chat moves to this connection. */
  | { type: "resumed" }
  /** The last words on a connection a chat moved away from: it goes on elsewhere. */
  | { type: "moved" }
  | { type: "accept" }
  | { type: "decline"; reason: DeclineReason }
  | { type: "msg"; id: string; text: string; time: number }
  | { type: "ack"; id: string }
  | { type: "eom" };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes a peer message. */
export function encodePeerMessage(message: PeerMessage): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

const isShort = (v: unknown, max: number): v is string => typeof v === "string" && v.length <= max;
/** A random 128-bit id in hex: a chat's (to move it later) or an offline message's. */
export function randomId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

/** Whether `v` has the form randomId() gives. */
export const isRandomId = (v: unknown): v is string =>
  typeof v === "string" && /^[0-9a-f]{32}$/.test(v);

/** Whether `v` is a time (ms since the epoch) a Date can hold. */
export const isDateTime = (v: unknown): v is number =>
  Number.isInteger(v) && Math.abs(v as number) <= MAX_TIME;

/** Decodes and validates a peer message; throws PeerProtocolError naming what is wrong. */
export function decodePeerMessage(bytes: Uint8Array): PeerMessage {
  if (bytes.length > MAX_PEER_MESSAGE_BYTES) {
    throw new PeerProtocolError("a message over 64 KiB");
  }
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new PeerProtocolError("a message that is not UTF-8 JSON");
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) {
    throw new PeerProtocolError("a message that is not a JSON object");
  }
  switch (o.type) {
    case "hello":
      if (!isShort(o.name, MAX_HELLO_NAME)) throw new PeerProtocolError("a hello without a name");
      if (o.chat === undefined) return { type: "hello", name: o.name };
      if (isRandomId(o.chat)) return { type: "hello", name: o.name, chat: o.chat };
      throw new PeerProtocolError("a hello with a bad chat id");
    case "resume":
      if (isShort(o.name, MAX_HELLO_NAME) && isRandomId(o.chat)) {
        return { type: "resume", name: o.name, chat: o.chat };
      }
      throw new PeerProtocolError("a resume without a name and a chat id");
    case "resumed":
    case "moved":
      return { type: o.type };
    case "accept":
    case "eom":
      return { type: o.type };
    case "decline": {
      const reason = DECLINE_REASONS.find((r) => r === o.reason);
      if (reason) return { type: "decline", reason };
      throw new PeerProtocolError("a decline with an unknown reason");
    }
    case "msg":
      if (!isShort(o.id, MAX_ID_LENGTH)) throw new PeerProtocolError("a message with a bad id");
      if (typeof o.text !== "string") throw new PeerProtocolError("a message without text");
      if (o.text.length > MAX_TEXT_LENGTH) {
        throw new PeerProtocolError(`a message over ${MAX_TEXT_LENGTH} characters`);
      }
      if (!isDateTime(o.time)) {
        throw new PeerProtocolError("a message with a bad time");
      }
      return { type: "msg", id: o.id, text: o.text, time: o.time as number };
    case "ack":
      if (isShort(o.id, MAX_ID_LENGTH)) return { type: "ack", id: o.id };
      throw new PeerProtocolError("an acknowledgement with a bad id");
    default:
      throw new PeerProtocolError("a message of an unknown type");
  }
}
