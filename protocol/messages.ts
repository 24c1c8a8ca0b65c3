/**
 * The directory protocol: JSON messages, one per record of the secure channel
 * (docs/protocol.md §9). Decoding is strict (`json_object.ts`): every field is
 * checked, every enum (`type`, `code`, `reason`) against its list, and
 * anything off is a ProtocolError, never an untyped throw.
 *
 * @module
 */
import { fromBase64, MAX_MESSAGE, type SignedPrekey, toBase64 } from "../crypto/mod.ts";
import { DIRECTORY_ERROR_CODES, type DirectoryErrorCode, ProtocolError } from "./errors.ts";
import { checks, JsonObject } from "./json_object.ts";
import {
  decodeLogReply,
  decodeLogRequest,
  type LogReply,
  type LogRequest,
  optionalProof,
} from "./log_messages.ts";

export {
  type HistoryEntry,
  type LogReply,
  type LogRequest,
  MAX_HISTORY_ENTRIES,
  MAX_LOG_ENTRIES,
} from "./log_messages.ts";

/** Largest sealed message (base64-decoded) the directory holds for an offline user (§12.3). */
export const MAX_SEALED_BYTES = 6 * 1024;
/** Largest request a client may send: a `mail` request with the largest sealed message. */
export const MAX_REQUEST_BYTES = 9 * 1024;
/** Most users one `list` reply carries; the reply says when there are more. */
export const MAX_LIST_LIMIT = 200;
/** Users a `list` returns when the client names no limit. */
export const DEFAULT_LIST_LIMIT = 50;

export type { DirectoryErrorCode };

/** A signed prekey on the wire (§12.1): key and signature in base64, `created` in ms. */
export type WirePrekey = { key: string; created: number; sig: string };

/** A signed prekey as the wire carries it. */
export function toWirePrekey(prekey: SignedPrekey): WirePrekey {
  return { key: toBase64(prekey.key), created: prekey.created, sig: toBase64(prekey.signature) };
}

/** A wire prekey as bytes (unverified: check with verifyPrekey). */
export function fromWirePrekey(wire: WirePrekey): SignedPrekey {
  return { key: fromBase64(wire.key), created: wire.created, signature: fromBase64(wire.sig) };
}

/** client -> server */
export type Request =
  | {
    id: number;
    type: "register";
    name: string;
    port: number;
    addresses?: string[];
    prekey?: WirePrekey;
  }
  | { id: number; type: "list"; prefix?: string; limit?: number; after?: string }
  | { id: number; type: "lookup"; name: string }
  | { id: number; type: "ping" }
  | { id: number; type: "bye" }
  | { id: number; type: "relay"; peer: string }
  | { id: number; type: "relay-upgraded"; token: string }
  /** The signed prekey of a bound name, online or not. */
  | { id: number; type: "prekey"; name: string }
  /** Holds a sealed message (base64) for `to` until it comes online. */
  | { id: number; type: "mail"; to: string; sealed: string }
  /** Deletes delivered messages. */
  | { id: number; type: "mail-ack"; ids: number[] }
  // Hole punching (docs/protocol.md §11.2): how one chat's punch ended, counted by the directory.
  | { id: number; type: "punch-report"; result: PunchResult }
  // Key transparency (docs/protocol.md §15.4): the log's own requests (log_messages.ts).
  | LogRequest;

// Hole punching (docs/protocol.md §11.2).
/** How a punch ended, as a client reports it and `/metrics` counts it. */
export const PUNCH_RESULTS = ["success", "failed"] as const;
/** How a punch ended. */
export type PunchResult = typeof PUNCH_RESULTS[number];

/** One online user as the directory lists it. */
export type UserEntry = {
  name: string;
  address: string;
  port: number;
  /** Raw Ed25519 public key, base64. */
  key: string;
  /** SHA-256 of the key, hex. */
  fingerprint: string;
  /** Other addresses the user announced (its own interfaces), tried in parallel with `address`. */
  addresses?: string[];
  /**
   * Hole punching (§11.2): the source port the directory sees the user's
   * connection come from, listed only when `address` is none of the user's
   * own (the user is behind a NAT).
   */
  observedPort?: number;
  /** Key transparency: the proof that `key` is the name's binding in the reply's checkpoint. */
  proof?: string;
};

/** Most announced addresses a client may register. */
export const MAX_ANNOUNCED_ADDRESSES = 4;

/** Every reason the server gives when it ends a session on its own (docs/protocol.md §9.4). */
export const CLOSE_REASONS = [
  "shutdown",
  "replaced",
  "idle",
  "slow-reader",
  "server-full",
  "protocol-error",
  /** The shared store lost its data and another key took the name meanwhile (or a look-alike). */
  "name-lost",
] as const;

/** Why the server ends a session on its own. */
export type CloseReason = typeof CLOSE_REASONS[number];

/**
 * server -> client. Key transparency (§15.4): `checkpoint` (base64) and
 * `proof` (a binding proof) go with every reply that shows a key, and with
 * a lookup's `not-found` (the proof says what the log binds to the name).
 */
export type Reply =
  /** `address`: where the directory sees the connection come from; `observedPort`: its source port (§11.2). */
  | {
    id: number;
    type: "registered";
    name: string;
    address: string;
    port: number;
    observedPort?: number;
    checkpoint?: string;
    proof?: string;
  }
  | { id: number; type: "users"; users: UserEntry[]; more: boolean; checkpoint?: string }
  | { id: number; type: "user"; user: UserEntry; checkpoint?: string }
  | { id: number; type: "pong" }
  | { id: number; type: "bye" }
  /** Files (issue 23): `budget`, the bytes the relay carries for this chat (both ways, §11). */
  | { id: number; type: "relay-token"; token: string; budget?: number }
  | { id: number; type: "ok" }
  | {
    id: number;
    type: "prekey";
    name: string;
    key: string;
    prekey: WirePrekey;
    checkpoint?: string;
    proof?: string;
  }
  /** The message is held until `expires` (ms since the epoch). */
  | { id: number; type: "mail-queued"; expires: number }
  | {
    id: number | null;
    type: "error";
    code: DirectoryErrorCode;
    message: string;
    checkpoint?: string;
    proof?: string;
  }
  // Key transparency (docs/protocol.md §15.4): the replies to the log's requests.
  | LogReply;

/** server -> client, unsolicited */
export type Notice =
  | { type: "closing"; reason: CloseReason; message: string }
  /** `relay`: where to join (`HOST:PORT`) when it is not the directory instance the client uses. */
  | { type: "relay-offer"; from: string; token: string; relay?: string; budget?: number }
  /** A sealed message held for this user; `stored` is when the directory took it (ms). */
  | { type: "mail"; id: number; sealed: string; stored: number };

const encoder = new TextEncoder();

/** Encodes any protocol message. */
export function encodeMessage(message: Request | Reply | Notice): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

const fail = (message: string): ProtocolError => new ProtocolError(message);
const parse = (bytes: Uint8Array, limit: number): JsonObject =>
  JsonObject.parse(bytes, { limit, fail });

const isPort = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;
const isLimit = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;
/** A field that names something (a user, a prefix, a key): never longer than this. */
const isShortString = checks.shortString(64);
const isToken = checks.hex(32);
const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
/** Most ids one `mail-ack` carries. */
export const MAX_ACK_IDS = 100;
const isIdList = (v: unknown): v is number[] =>
  Array.isArray(v) && v.length >= 1 && v.length <= MAX_ACK_IDS && v.every(checks.id);
const SEALED_BASE64 = Math.ceil(MAX_SEALED_BYTES / 3) * 4;
const isSealed = checks.base64(SEALED_BASE64);

function decodePrekey(o: JsonObject): WirePrekey {
  return {
    key: o.field("key", checks.base64(88), "a base64 P-256 key"),
    created: o.field("created", isTime, "a time in ms"),
    sig: o.field("sig", checks.base64(88), "a base64 signature"),
  };
}

const isAddressList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.length <= MAX_ANNOUNCED_ADDRESSES &&
  v.every((a) => typeof a === "string" && /^[0-9a-fA-F.:]{2,45}$/.test(a));

/** Decodes a client's request (server side). */
export function decodeRequest(bytes: Uint8Array): Request {
  const o = parse(bytes, MAX_REQUEST_BYTES);
  const id = o.field("id", checks.id, "a non-negative integer");
  const type = o.field("type", checks.string, "a string");
  switch (type) {
    case "register":
      return {
        id,
        type,
        name: o.field("name", isShortString, "a string"),
        port: o.field("port", isPort, "a port number (0-65535)"),
        addresses: o.optional(
          "addresses",
          isAddressList,
          `at most ${MAX_ANNOUNCED_ADDRESSES} IP addresses`,
        ),
        ...(o.fields.prekey === undefined ? {} : { prekey: decodePrekey(o.object("prekey")) }),
      };
    case "list":
      return {
        id,
        type,
        prefix: o.optional("prefix", isShortString, "a string"),
        limit: o.optional("limit", isLimit, "a positive integer"),
        after: o.optional("after", isShortString, "a string"),
      };
    case "lookup":
      return { id, type, name: o.field("name", isShortString, "a string") };
    case "ping":
    case "bye":
      return { id, type };
    case "relay":
      return { id, type, peer: o.field("peer", isShortString, "a string") };
    case "relay-upgraded":
      return { id, type, token: o.field("token", isToken, "a 32-digit hex token") };
    case "prekey":
      return { id, type, name: o.field("name", isShortString, "a string") };
    case "mail":
      return {
        id,
        type,
        to: o.field("to", isShortString, "a string"),
        sealed: o.field("sealed", isSealed, `base64 of at most ${MAX_SEALED_BYTES} bytes`),
      };
    case "mail-ack":
      return {
        id,
        type,
        ids: o.field("ids", isIdList, `a list of 1 to ${MAX_ACK_IDS} message ids`),
      };
    // Hole punching (§11.2).
    case "punch-report":
      return {
        id,
        type,
        result: o.field("result", checks.oneOf(PUNCH_RESULTS), "success or failed"),
      };
    default: // Key transparency (docs/protocol.md §15.4): the log's own requests.
    {
      const log = decodeLogRequest(o, id, type);
      if (log) return log;
      throw o.fail("an unknown request type");
    }
  }
}

function decodeUser(value: unknown): UserEntry {
  const o = JsonObject.from(value, "a user entry", fail);
  return {
    name: o.field("name", isShortString, "a string"),
    address: o.field("address", isShortString, "a string"),
    port: o.field("port", isPort, "a port number"),
    key: o.field("key", isShortString, "a string"),
    fingerprint: o.field("fingerprint", isShortString, "a string"),
    addresses: o.optional("addresses", isAddressList, "a list of addresses") ?? [],
    ...observedPortOf(o),
    ...optionalProof(o),
  };
}

/** Hole punching (§11.2): the optional `observedPort` of an entry or a `registered` reply. */
function observedPortOf(o: JsonObject): { observedPort?: number } {
  const observedPort = o.optional("observedPort", isPort, "a port number");
  return observedPort === undefined ? {} : { observedPort };
}

/** Decodes a server's reply or notice (client side); one record's message at most. */
export function decodeServerMessage(bytes: Uint8Array): Reply | Notice {
  const o = parse(bytes, MAX_MESSAGE);
  const type = o.field("type", checks.string, "a string");
  if (type === "relay-offer") {
    const relay = o.optional("relay", isShortString, "HOST:PORT");
    // Files (issue 23): the relay's byte budget for the chat.
    const budget = o.optional("budget", checks.id, "a byte count");
    return {
      type,
      from: o.field("from", isShortString, "a string"),
      token: o.field("token", isToken, "a 32-digit hex token"),
      ...(relay === undefined ? {} : { relay }),
      ...(budget === undefined ? {} : { budget }),
    };
  }
  if (type === "mail") {
    return {
      type,
      id: o.field("id", checks.id, "an integer"),
      sealed: o.field("sealed", isSealed, "base64"),
      stored: o.field("stored", isTime, "a time in ms"),
    };
  }
  if (type === "closing") {
    return {
      type,
      reason: o.field("reason", checks.oneOf(CLOSE_REASONS), "a known closing reason"),
      message: o.field("message", checks.string, "a string"),
    };
  }
  const id = type === "error" && o.fields.id === null
    ? null
    : o.field("id", checks.id, "an integer");
  switch (type) {
    case "registered":
      return {
        id: id!,
        type,
        name: o.field("name", isShortString, "a string"),
        address: o.field("address", isShortString, "a string"),
        port: o.field("port", isPort, "a port number"),
        ...observedPortOf(o),
        ...optionalProof(o),
      };
    case "users":
      return {
        id: id!,
        type,
        users: o.list("users", MAX_LIST_LIMIT, decodeUser),
        more: o.field("more", checks.boolean, "a boolean"),
        ...optionalProof(o),
      };
    case "user":
      return { id: id!, type, user: decodeUser(o.fields.user), ...optionalProof(o) };
    case "pong":
    case "bye":
    case "ok":
      return { id: id!, type };
    case "relay-token": {
      // Files (issue 23): the relay's byte budget for the chat.
      const budget = o.optional("budget", checks.id, "a byte count");
      return {
        id: id!,
        type,
        token: o.field("token", isToken, "a 32-digit hex token"),
        ...(budget === undefined ? {} : { budget }),
      };
    }
    case "prekey":
      return {
        id: id!,
        type,
        name: o.field("name", isShortString, "a string"),
        key: o.field("key", checks.base64(44), "a base64 key"),
        prekey: decodePrekey(o.object("prekey")),
        ...optionalProof(o),
      };
    case "mail-queued":
      return { id: id!, type, expires: o.field("expires", isTime, "a time in ms") };
    case "error":
      return {
        id,
        type,
        code: o.field("code", checks.oneOf(DIRECTORY_ERROR_CODES), "a known error code"),
        message: o.field("message", checks.string, "a string"),
        ...optionalProof(o),
      };
    default: // Key transparency (docs/protocol.md §15.4): the replies to the log's requests.
    {
      const log = decodeLogReply(o, id!, type);
      if (log) return log;
      throw o.fail("an unknown message type");
    }
  }
}
