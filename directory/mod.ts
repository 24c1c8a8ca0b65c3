/**
 * The directory protocol, shared by the server and every client.
 *
 * @module
 */
export {
  DEFAULT_HEARTBEAT_MS,
  DirectoryClient,
  type DirectoryClientOptions,
  type DirectoryClosed,
} from "./client.ts";
export { DirectoryError, DirectoryUnavailableError } from "./errors.ts";
export {
  type CloseReason,
  type DirectoryErrorCode,
  MAX_LIST_LIMIT,
  type UserEntry,
} from "./messages.ts";
export { InvalidNameError, MAX_NAME_LENGTH, type Name, nameKey, parseName } from "./name.ts";
export { joinRelay } from "./relay_client.ts";
