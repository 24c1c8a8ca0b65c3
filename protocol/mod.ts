/**
 * The directory protocol, shared by the server and every client: its
 * messages and their strict decoders, the name rules, the errors, the
 * client's side of a session ({@linkcode DirectoryClient}) and the relay's
 * opening frames. Other folders import the directory only through this file.
 *
 * @example
 * ```ts
 * import { DirectoryClient } from "../client/directory/mod.ts";
 * import { Identity } from "../crypto/mod.ts";
 *
 * const client = await DirectoryClient.connect({ hostname: "127.0.0.1", port: 7447 }, {
 *   identity: Identity.generate(),
 * });
 * await client.register("alice", 40123);
 * console.log((await client.list({ prefix: "b" })).users.map((u) => u.name));
 * await client.bye();
 * ```
 *
 * @module
 */
export { CodedError } from "../errors/mod.ts";
export {
  DIRECTORY_ERROR_CODES,
  DirectoryBusyError,
  DirectoryError,
  type DirectoryErrorCode,
  type DirectoryLayerCode,
  type DirectoryUnavailableCode,
  DirectoryUnavailableError,
  InvalidNameError,
  ProtocolError,
} from "./errors.ts";
export {
  CLOSE_REASONS,
  type CloseReason,
  decodeRequest,
  decodeServerMessage,
  DEFAULT_LIST_LIMIT,
  encodeMessage,
  fromWirePrekey,
  // Key transparency (docs/protocol.md §15.4).
  type HistoryEntry,
  MAX_ACK_IDS,
  MAX_ANNOUNCED_ADDRESSES,
  MAX_HISTORY_ENTRIES,
  MAX_LIST_LIMIT,
  MAX_LOG_ENTRIES,
  MAX_REQUEST_BYTES,
  MAX_SEALED_BYTES,
  type Notice,
  PUNCH_RESULTS,
  type PunchResult,
  type Reply,
  type Request,
  toWirePrekey,
  type UserEntry,
  type WirePrekey,
} from "./messages.ts";
export {
  isLegacyName,
  MAX_NAME_LENGTH,
  type Name,
  NAME_RULE,
  type NameKey,
  nameKey,
  type NameSkeleton,
  nameSkeleton,
  parseName,
} from "./name.ts";
export {
  joinFrame,
  readFirstFrame,
  READY_FRAME,
  RelayFrame,
  TOKEN_LENGTH,
} from "./relay_frames.ts";
export { type Check, checks, JsonObject } from "./json_object.ts";
