/**
 * What two peers say inside their secure channel (docs/protocol.md §10): one
 * JSON object per record, decoded strictly. Anything off is a
 * PeerProtocolError naming the rule broken, never a crash.
 *
 * @module
 */
import { MAX_MESSAGE, toHex } from "../../crypto/mod.ts";
import { type Check, checks, JsonObject } from "../../protocol/mod.ts";
import { PeerProtocolError } from "../core/mod.ts";

export { PeerProtocolError };

/** Longest message text, in UTF-16 code units. */
export const MAX_TEXT_LENGTH = 16_000;
/** Longest message id (`m` and up to 16 digits). */
const MAX_ID_LENGTH = 17;
/** Longest name a hello may carry (longer than any valid name, which the receiver checks). */
const MAX_HELLO_NAME = 64;

/** Every reason a peer may give for declining. */
export const DECLINE_REASONS = ["user", "security", "busy", "timeout"] as const;
/** Why a peer declined. */
export type DeclineReason = typeof DECLINE_REASONS[number];

// Key transparency (docs/protocol.md §13.7): gossip.
/**
 * The checkpoint a client keeps of its directory, handed to the peer with
 * `hello` and `accept` (a field older clients ignore): the directory's key
 * and the checkpoint, both base64, as the directory sent them.
 */
export type GossipCheckpoint = { directory: string; checkpoint: string };

/** Peer-to-peer messages. */
export type PeerMessage =
  /** The initiator's first words: who it claims to be, and the chat's id (to move it later). */
  | { type: "hello"; name: string; chat?: string; log?: GossipCheckpoint }
  /** The first words on a new connection that is to carry an open chat (docs/protocol.md §11.1). */
  | { type: "resume"; name: string; chat: string }
  /** The answer to resume: the chat moves to this connection. */
  | { type: "resumed" }
  /** The last words on a connection a chat moved away from: it goes on elsewhere. */
  | { type: "moved" }
  | { type: "accept"; log?: GossipCheckpoint }
  | { type: "decline"; reason: DeclineReason }
  | { type: "msg"; id: string; text: string; time: number }
  | { type: "ack"; id: string }
  | { type: "eom" };

const encoder = new TextEncoder();

/** Encodes a peer message. */
export function encodePeerMessage(message: PeerMessage): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

/** A random 128-bit id in hex: a chat's (to move it later) or an offline message's. */
export function randomId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

/** Whether `v` has the form randomId() gives. */
export const isRandomId: Check<string> = checks.hex(32);

/** Whether `v` is a time (ms since the epoch) a Date can hold. */
export const isDateTime: Check<number> = checks.dateTime;

const isName = checks.shortString(MAX_HELLO_NAME);
/** A directory key and a checkpoint, in base64: 44 and 192 characters. */
const isKey = checks.base64(44);
const isCheckpoint = checks.base64(192);
const isMessageId = checks.shortString(MAX_ID_LENGTH);
const fail = (message: string): PeerProtocolError => new PeerProtocolError(message);

/** The gossip a hello or accept may carry (§13.7), checked for its form. */
function gossip(o: JsonObject): { log?: GossipCheckpoint } {
  if (o.fields.log === undefined) return {};
  const log = o.object("log");
  return {
    log: {
      directory: log.field("directory", isKey, "a base64 directory key"),
      checkpoint: log.field("checkpoint", isCheckpoint, "a base64 checkpoint"),
    },
  };
}

/** Decodes and validates a peer message; throws PeerProtocolError naming what is wrong. */
export function decodePeerMessage(bytes: Uint8Array): PeerMessage {
  const o = JsonObject.parse(bytes, { limit: MAX_MESSAGE, fail });
  const type = o.field("type", checks.string, "a message type");
  switch (type) {
    case "hello": {
      const name = o.field("name", isName, "a name");
      const chat = o.optional("chat", isRandomId, "a 32-digit hex chat id");
      return { type, name, ...(chat === undefined ? {} : { chat }), ...gossip(o) };
    }
    case "resume":
      return {
        type,
        name: o.field("name", isName, "a name"),
        chat: o.field("chat", isRandomId, "a 32-digit hex chat id"),
      };
    case "accept":
      return { type, ...gossip(o) };
    case "resumed":
    case "moved":
    case "eom":
      return { type };
    case "decline":
      return { type, reason: o.field("reason", checks.oneOf(DECLINE_REASONS), "a known reason") };
    case "msg":
      return {
        type,
        id: o.field("id", isMessageId, "a message id"),
        text: o.field(
          "text",
          checks.shortString(MAX_TEXT_LENGTH),
          `text of at most ${MAX_TEXT_LENGTH} characters`,
        ),
        time: o.field("time", checks.dateTime, "a time a date can hold"),
      };
    case "ack":
      return { type, id: o.field("id", isMessageId, "a message id") };
    default:
      throw o.fail("a message of an unknown type");
  }
}
