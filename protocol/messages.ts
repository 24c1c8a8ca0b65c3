/**
 * The directory protocol: JSON messages, one per record of the secure channel
 * (docs/protocol.md §9). Decoding is strict: every field is checked, every
 * enum (`type`, `code`, `reason`) against its list, and anything off is a
 * ProtocolError, never an untyped throw.
 *
 * @module
 */
import { fromBase64, type SignedPrekey, toBase64 } from "../crypto/mod.ts";
import { DIRECTORY_ERROR_CODES, type DirectoryErrorCode, ProtocolError } from "./errors.ts";

/** Largest sealed message (base64-decoded) the directory holds for an offline user (§10). */
export const MAX_SEALED_BYTES = 6 * 1024;
/** Largest request a client may send: a `mail` request with the largest sealed message. */
export const MAX_REQUEST_BYTES = 9 * 1024;
/** Most users one `list` reply carries; the reply says when there are more. */
export const MAX_LIST_LIMIT = 200;
/** Users a `list` returns when the client names no limit. */
export const DEFAULT_LIST_LIMIT = 50;

export type { DirectoryErrorCode };

/** A signed prekey on the wire (§10.1): key and signature in base64, `created` in ms. */
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
  | { id: number; type: "mail-ack"; ids: number[] };

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
] as const;

/** Why the server ends a session on its own. */
export type CloseReason = typeof CLOSE_REASONS[number];

/** server -> client */
export type Reply =
  | { id: number; type: "registered"; name: string; address: string; port: number }
  | { id: number; type: "users"; users: UserEntry[]; more: boolean }
  | { id: number; type: "user"; user: UserEntry }
  | { id: number; type: "pong" }
  | { id: number; type: "bye" }
  | { id: number; type: "relay-token"; token: string }
  | { id: number; type: "ok" }
  | { id: number; type: "prekey"; name: string; key: string; prekey: WirePrekey }
  /** The message is held until `expires` (ms since the epoch). */
  | { id: number; type: "mail-queued"; expires: number }
  | { id: number | null; type: "error"; code: DirectoryErrorCode; message: string };

/** server -> client, unsolicited */
export type Notice =
  | { type: "closing"; reason: CloseReason; message: string }
  /** `relay`: where to join (`HOST:PORT`) when it is not the directory instance the client uses. */
  | { type: "relay-offer"; from: string; token: string; relay?: string }
  /** A sealed message held for this user; `stored` is when the directory took it (ms). */
  | { type: "mail"; id: number; sealed: string; stored: number };

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** Encodes any protocol message. */
export function encodeMessage(message: Request | Reply | Notice): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

function parseObject(bytes: Uint8Array, limit: number): Record<string, unknown> {
  if (bytes.length > limit) {
    throw new ProtocolError(`Message of ${bytes.length} bytes exceeds ${limit}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new ProtocolError("Message is not UTF-8 JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError("Message is not a JSON object");
  }
  return value as Record<string, unknown>;
}

function field<T>(
  object: Record<string, unknown>,
  name: string,
  check: (v: unknown) => v is T,
  what: string,
): T {
  const value = object[name];
  if (!check(value)) throw new ProtocolError(`Field "${name}" must be ${what}`);
  return value;
}

function optional<T>(
  object: Record<string, unknown>,
  name: string,
  check: (v: unknown) => v is T,
  what: string,
): T | undefined {
  return object[name] === undefined ? undefined : field(object, name, check, what);
}

const isString = (v: unknown): v is string => typeof v === "string";
const isBoolean = (v: unknown): v is boolean => typeof v === "boolean";
const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isPort = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;
const isLimit = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;
const isShortString = (v: unknown): v is string => typeof v === "string" && v.length <= 64;
const oneOf = <T extends string>(values: readonly T[]) => (v: unknown): v is T =>
  typeof v === "string" && (values as readonly string[]).includes(v);
const isToken = (v: unknown): v is string => typeof v === "string" && /^[0-9a-f]{32}$/.test(v);
const isBase64 = (max: number) => (v: unknown): v is string =>
  typeof v === "string" && v.length <= max && /^[A-Za-z0-9+/]*={0,2}$/.test(v);
const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
/** Most ids one `mail-ack` carries. */
export const MAX_ACK_IDS = 100;
const isIdList = (v: unknown): v is number[] =>
  Array.isArray(v) && v.length >= 1 && v.length <= MAX_ACK_IDS && v.every(isId);
const SEALED_BASE64 = Math.ceil(MAX_SEALED_BYTES / 3) * 4;

function decodePrekey(value: unknown): WirePrekey {
  if (typeof value !== "object" || value === null) {
    throw new ProtocolError('Field "prekey" must be an object');
  }
  const o = value as Record<string, unknown>;
  return {
    key: field(o, "key", isBase64(88), "a base64 P-256 key"),
    created: field(o, "created", isTime, "a time in ms"),
    sig: field(o, "sig", isBase64(88), "a base64 signature"),
  };
}

const isAddressList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.length <= MAX_ANNOUNCED_ADDRESSES &&
  v.every((a) => typeof a === "string" && /^[0-9a-fA-F.:]{2,45}$/.test(a));

/** Decodes a client's request (server side). */
export function decodeRequest(bytes: Uint8Array): Request {
  const object = parseObject(bytes, MAX_REQUEST_BYTES);
  const id = field(object, "id", isId, "a non-negative integer");
  const type = field(object, "type", isString, "a string");
  switch (type) {
    case "register":
      return {
        id,
        type,
        name: field(object, "name", isShortString, "a string"),
        port: field(object, "port", isPort, "a port number (0-65535)"),
        addresses: optional(
          object,
          "addresses",
          isAddressList,
          `at most ${MAX_ANNOUNCED_ADDRESSES} IP addresses`,
        ),
        ...(object.prekey === undefined ? {} : { prekey: decodePrekey(object.prekey) }),
      };
    case "list":
      return {
        id,
        type,
        prefix: optional(object, "prefix", isShortString, "a string"),
        limit: optional(object, "limit", isLimit, "a positive integer"),
        after: optional(object, "after", isShortString, "a string"),
      };
    case "lookup":
      return { id, type, name: field(object, "name", isShortString, "a string") };
    case "ping":
    case "bye":
      return { id, type };
    case "relay":
      return { id, type, peer: field(object, "peer", isShortString, "a string") };
    case "relay-upgraded":
      return { id, type, token: field(object, "token", isToken, "a 32-digit hex token") };
    case "prekey":
      return { id, type, name: field(object, "name", isShortString, "a string") };
    case "mail":
      return {
        id,
        type,
        to: field(object, "to", isShortString, "a string"),
        sealed: field(
          object,
          "sealed",
          isBase64(SEALED_BASE64),
          `base64 of at most ${MAX_SEALED_BYTES} bytes`,
        ),
      };
    case "mail-ack":
      return {
        id,
        type,
        ids: field(object, "ids", isIdList, `a list of 1 to ${MAX_ACK_IDS} message ids`),
      };
    default:
      throw new ProtocolError("Unknown request type");
  }
}

function decodeUser(value: unknown): UserEntry {
  if (typeof value !== "object" || value === null) {
    throw new ProtocolError("User entry is not an object");
  }
  const o = value as Record<string, unknown>;
  return {
    name: field(o, "name", isShortString, "a string"),
    address: field(o, "address", isShortString, "a string"),
    port: field(o, "port", isPort, "a port number"),
    key: field(o, "key", isShortString, "a string"),
    fingerprint: field(o, "fingerprint", isShortString, "a string"),
    addresses: optional(o, "addresses", isAddressList, "a list of addresses") ?? [],
  };
}

/** Largest message a client accepts from the server: one record. */
const MAX_SERVER_MESSAGE = 64 * 1024;

/** Decodes a server's reply or notice (client side). */
export function decodeServerMessage(bytes: Uint8Array): Reply | Notice {
  const object = parseObject(bytes, MAX_SERVER_MESSAGE);
  const type = field(object, "type", isString, "a string");
  if (type === "relay-offer") {
    const relay = optional(object, "relay", isShortString, "HOST:PORT");
    return {
      type,
      from: field(object, "from", isShortString, "a string"),
      token: field(object, "token", isToken, "a 32-digit hex token"),
      ...(relay === undefined ? {} : { relay }),
    };
  }
  if (type === "mail") {
    return {
      type,
      id: field(object, "id", isId, "an integer"),
      sealed: field(object, "sealed", isBase64(SEALED_BASE64), "base64"),
      stored: field(object, "stored", isTime, "a time in ms"),
    };
  }
  if (type === "closing") {
    return {
      type,
      reason: field(object, "reason", oneOf(CLOSE_REASONS), "a known closing reason"),
      message: field(object, "message", isString, "a string"),
    };
  }
  const id = type === "error" && object.id === null
    ? null
    : field(object, "id", isId, "an integer");
  switch (type) {
    case "registered":
      return {
        id: id!,
        type,
        name: field(object, "name", isShortString, "a string"),
        address: field(object, "address", isShortString, "a string"),
        port: field(object, "port", isPort, "a port number"),
      };
    case "users": {
      const users = object.users;
      if (!Array.isArray(users) || users.length > MAX_LIST_LIMIT) {
        throw new ProtocolError("Bad user list");
      }
      return {
        id: id!,
        type,
        users: users.map(decodeUser),
        more: field(object, "more", isBoolean, "a boolean"),
      };
    }
    case "user":
      return { id: id!, type, user: decodeUser(object.user) };
    case "pong":
    case "bye":
    case "ok":
      return { id: id!, type };
    case "relay-token":
      return { id: id!, type, token: field(object, "token", isToken, "a 32-digit hex token") };
    case "prekey":
      return {
        id: id!,
        type,
        name: field(object, "name", isShortString, "a string"),
        key: field(object, "key", isBase64(44), "a base64 key"),
        prekey: decodePrekey(object.prekey),
      };
    case "mail-queued":
      return { id: id!, type, expires: field(object, "expires", isTime, "a time in ms") };
    case "error":
      return {
        id,
        type,
        code: field(object, "code", oneOf(DIRECTORY_ERROR_CODES), "a known error code"),
        message: field(object, "message", isString, "a string"),
      };
    default:
      throw new ProtocolError("Unknown message type");
  }
}
