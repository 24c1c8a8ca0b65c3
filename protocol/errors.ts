/**
 * Errors of the directory layer, the same on both sides: the server throws
 * them and replies with their code; the client raises them again, or raises
 * its own when the directory cannot be used at all.
 *
 * @module
 */
import { CodedError } from "../errors/mod.ts";

/** Every code the directory answers a request with (docs/protocol.md §9.2). */
export const DIRECTORY_ERROR_CODES = [
  "bad-request",
  "name-invalid",
  "name-confusable",
  "name-taken",
  "not-registered",
  "already-registered",
  "not-found",
  "rate-limited",
  "server-full",
  "relay-disabled",
  "relay-limit",
  "store-unavailable",
  "mailbox-full",
  "mail-off",
  "no-prekey",
  // Key transparency (docs/protocol.md §15): a log request for sizes the log does not have.
  "log-range",
] as const;

/** A code the directory answers a request with. */
export type DirectoryErrorCode = typeof DIRECTORY_ERROR_CODES[number];

/** Why the directory could not be used at all (client side). */
export type DirectoryUnavailableCode =
  | "unreachable"
  | "connection-lost"
  | "timeout"
  | "not-a-directory"
  /** Over capacity: it answered Busy before any key agreement (docs/protocol.md §3). */
  | "busy";

/** Every code of the directory layer. */
export type DirectoryLayerCode = DirectoryErrorCode | DirectoryUnavailableCode;

/** A request the directory refused; `code` is stable, `message` says what to do. */
export class DirectoryError<C extends DirectoryErrorCode = DirectoryErrorCode>
  extends CodedError<C> {}

/** A directory message that does not follow the protocol (either side). */
export class ProtocolError extends DirectoryError<"bad-request"> {
  /** Makes the error; the message names the fault, never echoes the input. */
  constructor(message: string) {
    super("bad-request", message);
  }
}

/** A name that breaks a rule (`name-invalid`) or looks like a bound one (`name-confusable`). */
export class InvalidNameError extends DirectoryError<"name-invalid" | "name-confusable"> {}

/** The connection to the directory ended, stopped answering, or is not a p2pchat directory. */
export class DirectoryUnavailableError extends CodedError<DirectoryUnavailableCode> {}

/** The directory is over capacity and asked to be tried again after `retryAfterMs`. */
export class DirectoryBusyError extends DirectoryUnavailableError {
  /** How long the directory asked to wait (ms, at most 60 s). */
  readonly retryAfterMs: number;

  /** Makes the error for `label` (host:port), asked to wait `retryAfterMs`. */
  constructor(label: string, retryAfterMs: number, options?: ErrorOptions) {
    super(
      "busy",
      `The directory at ${label} is busy; p2pchat tries again in ${
        Math.ceil(retryAfterMs / 1000)
      } s`,
      options,
    );
    this.retryAfterMs = retryAfterMs;
  }
}
