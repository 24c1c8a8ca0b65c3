/**
 * What two peers say inside their secure channel (docs/protocol.md §10):
 * one JSON object per record.
 *
 * @module
 */

import { PeerProtocolError } from "./errors.ts";

/** Longest message text, in UTF-16 code units. */
export const MAX_TEXT_LENGTH = 16_000;
/** Longest encoded peer message accepted. */
const MAX_PEER_MESSAGE_BYTES = 64 * 1024;

/** Peer-to-peer messages. */
export type PeerMessage =
  | { type: "hello"; name: string }
  | { type: "accept" }
  | { type: "decline"; reason: "user" | "security" | "busy" | "timeout" }
  | { type: "msg"; id: string; text: string; time: number }
  | { type: "ack"; id: string }
  | { type: "eom" };

export { PeerProtocolError };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes a peer message. */
export function encodePeerMessage(message: PeerMessage): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

const isShort = (v: unknown, max: number): v is string => typeof v === "string" && v.length <= max;

/** Decodes and validates a peer message; throws PeerProtocolError. */
export function decodePeerMessage(bytes: Uint8Array): PeerMessage {
  if (bytes.length > MAX_PEER_MESSAGE_BYTES) throw new PeerProtocolError("Peer message too large");
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new PeerProtocolError("Peer message is not UTF-8 JSON");
  }
  if (typeof o !== "object" || o === null) {
    throw new PeerProtocolError("Peer message is not an object");
  }
  switch (o.type) {
    case "hello":
      if (isShort(o.name, 64)) return { type: "hello", name: o.name };
      break;
    case "accept":
    case "eom":
      return { type: o.type };
    case "decline":
      return {
        type: "decline",
        reason: (["user", "security", "busy", "timeout"] as const).find((r) => r === o.reason) ??
          "user",
      };
    case "msg":
      if (isShort(o.id, 32) && isShort(o.text, MAX_TEXT_LENGTH) && Number.isFinite(o.time)) {
        return { type: "msg", id: o.id, text: o.text, time: o.time as number };
      }
      break;
    case "ack":
      if (isShort(o.id, 32)) return { type: "ack", id: o.id };
      break;
  }
  throw new PeerProtocolError("Malformed peer message");
}
