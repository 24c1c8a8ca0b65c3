/**
 * Errors of the directory protocol, the same on both sides: the server
 * throws them and replies with their code; the client raises them again.
 *
 * @module
 */
import type { DirectoryErrorCode } from "./messages.ts";

/** A request the directory refused; `code` is stable, `message` says what to do. */
export class DirectoryError extends Error {
  readonly code: DirectoryErrorCode;
  constructor(code: DirectoryErrorCode, message: string) {
    super(message);
    this.name = "DirectoryError";
    this.code = code;
  }
}

/** The connection to the directory ended or stopped answering. */
export class DirectoryUnavailableError extends Error {
  readonly code: "connection-lost" | "timeout";
  constructor(code: "connection-lost" | "timeout", message: string) {
    super(message);
    this.name = "DirectoryUnavailableError";
    this.code = code;
  }
}
