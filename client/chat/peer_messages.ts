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
import { isIpLiteral } from "../trust/mod.ts";
// Files (issue 23): a file's messages, JSON and binary, are decoded by client/files.
import {
  decodeFileFrame,
  decodeFileJson,
  encodeFileMessage,
  FILE_FRAME_MARK,
  type FileMessage,
  isFileMessage,
} from "../files/mod.ts";

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

// Key transparency (docs/protocol.md §15.7): gossip.
/**
 * The checkpoint a client keeps of its directory, handed to the peer with
 * `hello` and `accept` (a field older clients ignore): the directory's key
 * and the checkpoint, both base64, as the directory sent them.
 */
export type GossipCheckpoint = { directory: string; checkpoint: string };

/** Peer-to-peer messages. */
export type PeerMessage =
  /**
   * The initiator's first words: who it claims to be, the chat's id (to move
   * it later), and whether it can punch through NATs (§11.2). Groups (issue
   * 24): `purpose` "group" opens a group link, not a chat, for `group`
   * (docs/protocol.md §13.2).
   */
  | {
    type: "hello";
    name: string;
    chat?: string;
    punch?: true;
    purpose?: "group";
    group?: string;
    /** Groups: the version of the group's membership the initiator holds. */
    version?: number;
    /** Key transparency (§15.7): the checkpoint the sender keeps for this directory. */
    log?: GossipCheckpoint;
  }
  /** The first words on a new connection that is to carry an open chat (docs/protocol.md §11.1). */
  | { type: "resume"; name: string; chat: string }
  /** The answer to resume: the chat moves to this connection. */
  | { type: "resumed" }
  /** The last words on a connection a chat moved away from: it goes on elsewhere. */
  | { type: "moved" }
  /** `punch`: the responder can punch through NATs too (§11.2). */
  | { type: "accept"; punch?: true; log?: GossipCheckpoint }
  | { type: "decline"; reason: DeclineReason }
  | { type: "msg"; id: string; text: string; time: number }
  | { type: "ack"; id: string }
  | { type: "eom" }
  // Hole punching (docs/protocol.md §11.2), on the relayed chat.
  /** Where the sender's directory sees it (its NAT's mapping); without it: not now. */
  | { type: "punch-connect"; attempt: number; address?: string; port?: number }
  /** The leader to the follower: dial now (the leader dials half a round trip later). */
  | { type: "punch-sync"; attempt: number }
  // Files (issue 23): offers, answers and the file's bytes (docs/protocol.md §14.1).
  | FileMessage;

// Hole punching (docs/protocol.md §11.2).
/** Most punch attempts per chat; a peer's attempt numbers run from 1 to this. */
export const PUNCH_MAX_ATTEMPTS = 3;
const isAttempt = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 1 && (v as number) <= PUNCH_MAX_ATTEMPTS;
const isPunchPort = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;

const encoder = new TextEncoder();

/** Encodes a peer message. */
export function encodePeerMessage(message: PeerMessage): Uint8Array {
  // Files (issue 23): list and data pieces are binary.
  if (isFileMessage(message)) return encodeFileMessage(message);
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

/** The gossip a hello or accept may carry (§15.7), checked for its form. */
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
  // Files (issue 23): a binary message is a file's list or data piece.
  if (bytes[0] === FILE_FRAME_MARK) return decodeFileFrame(bytes);
  const o = JsonObject.parse(bytes, { limit: MAX_MESSAGE, fail });
  const type = o.field("type", checks.string, "a message type");
  switch (type) {
    case "hello": {
      const name = o.field("name", isName, "a name");
      const chat = o.optional("chat", isRandomId, "a 32-digit hex chat id");
      // Groups (issue 24): a group link names its purpose and its group.
      const purpose = o.optional("purpose", checks.oneOf(["group"] as const), "group");
      if (purpose !== undefined) {
        return {
          type,
          name,
          purpose,
          group: o.field("group", isRandomId, "a 32-digit hex group id"),
          ...gossip(o),
        };
      }
      return {
        type,
        name,
        ...(chat === undefined ? {} : { chat }),
        ...punchFlag(o),
        ...gossip(o),
      };
    }
    case "resume":
      return {
        type,
        name: o.field("name", isName, "a name"),
        chat: o.field("chat", isRandomId, "a 32-digit hex chat id"),
      };
    case "resumed":
    case "moved":
    case "eom":
      return { type };
    case "accept":
      return { type, ...punchFlag(o), ...gossip(o) };
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
    // Hole punching (§11.2).
    case "punch-connect": {
      const attempt = o.field("attempt", isAttempt, `an attempt from 1 to ${PUNCH_MAX_ATTEMPTS}`);
      if (o.fields.address === undefined && o.fields.port === undefined) return { type, attempt };
      return {
        type,
        attempt,
        address: o.field("address", isPunchAddress, "an IP address"),
        port: o.field("port", isPunchPort, "a port from 1 to 65535"),
      };
    }
    case "punch-sync":
      return {
        type,
        attempt: o.field("attempt", isAttempt, `an attempt from 1 to ${PUNCH_MAX_ATTEMPTS}`),
      };
    default:
      // Files (issue 23).
      if (type.startsWith("file-")) return decodeFileJson(type, o);
      throw o.fail("a message of an unknown type");
  }
}

// Hole punching (docs/protocol.md §11.2).
/** `punch: true` when a hello or accept carries it; anything but true or absent is a fault. */
function punchFlag(o: JsonObject): { punch?: true } {
  const punch = o.optional("punch", (v): v is true => v === true, "true");
  return punch ? { punch } : {};
}

/**
 * An address a punch may dial: an IP literal that is not loopback,
 * unspecified or multicast (a peer could otherwise aim our port at our own
 * machine's services).
 */
export function isPunchAddress(v: unknown): v is string {
  if (typeof v !== "string" || !isIpLiteral(v)) return false;
  const lower = v.toLowerCase();
  if (/^(127\.|0\.|2(2[4-9]|[3-5]\d)\.)/.test(lower)) return false;
  return !(lower === "::" || lower === "::1" || lower.startsWith("ff") ||
    lower.startsWith("::ffff:127."));
}
