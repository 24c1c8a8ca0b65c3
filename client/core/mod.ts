/**
 * The client's vocabulary, shared by its parts: the commands a user types
 * (parsed without I/O), the events the client reports (codes and data; the
 * words are the interface's), and its typed errors.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./mod.ts";
 *
 * console.log(parseCommand("/msg bob see you at nine")); // { kind: "msg", name: "bob", text: "see you at nine" }
 * ```
 *
 * @module
 */
export { type ChatCommand, COMMAND_HELP, complete, parseCommand, replyTag } from "./commands.ts";
export {
  type AwaitedWord,
  ChatError,
  ClientError,
  type ClientErrorCode,
  type ClientProblem,
  CommandError,
  errorEvent,
  FileError,
  PeerProtocolError,
  PeerUnreachableError,
  type ProblemOf,
  ServerKeyError,
} from "./errors.ts";
export {
  type ClientEvent,
  type ClosedBy,
  type CloseDetail,
  type CloseReason,
  type EventBody,
  type EventSink,
  type KeyStatus,
  type ListedUser,
  MAX_RE_LENGTH,
  type Notice,
  type Path,
  replySink,
  type SecurityWarning,
  type UndeliveredReason,
  type WarningReason,
} from "./events.ts";
// Hole punching (docs/protocol.md §11.2).
export type { PunchFailure, Via } from "./events.ts";
// Groups (issue 24).
export type { GroupEventBody, GroupMemberInfo } from "./group_events.ts";
// Files (issue 23).
export type {
  FileEventBody,
  FileFailReason,
  FileState,
  FileStoppedBy,
  ListedTransfer,
} from "./file_events.ts";
