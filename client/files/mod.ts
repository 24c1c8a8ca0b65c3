/**
 * Sending files over a chat (docs/protocol.md §14): the wire messages (JSON
 * for the conversation, binary for the hash list and the data), how a file
 * is cut into chunks, each side as a machine without I/O (incoming.ts,
 * outgoing.ts) with a thin shell around it (receiving.ts, sending.ts), the
 * part a file is received into and the name it is saved under, the records
 * that make a transfer resumable, and the shell that keeps every transfer
 * of a session (file_shell.ts).
 *
 * @example
 * ```ts
 * import { decodeFileFrame, encodeFileMessage, safeFileName } from "./mod.ts";
 *
 * const frame = encodeFileMessage({
 *   type: "file-data", id: "ab".repeat(16), index: 3, offset: 0, data: new Uint8Array([1, 2]),
 * });
 * console.log(decodeFileFrame(frame)); // { type: "file-data", id: "abab…", index: 3, offset: 0, data: … }
 * console.log(safeFileName("../../.ssh/authorized_keys")); // "_.._.ssh_authorized_keys"
 * ```
 *
 * @module
 */
export {
  decodeFileFrame,
  decodeFileJson,
  encodeFileMessage,
  FILE_FRAME_MARK,
  type FileMessage,
  isFileMessage,
  MAX_CHUNKS,
  MAX_FILE_BYTES,
  MAX_PIECE,
} from "./file_messages.ts";
export { type FileChat } from "./transfer_context.ts";
export { FileShell, type FileShellOptions, MAX_ACTIVE_PER_PEER } from "./file_shell.ts";
export { SHOWN_ID_DIGITS } from "./transfer_list.ts";
export { FILE_LOW_WATER } from "./pace.ts";
export { safeFileName } from "./safe_name.ts";
