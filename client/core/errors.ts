/**
 * Errors of the chat client: the client layer's codes. Each is reported as
 * an `error` event with its code (docs/cli.md); the message says what to do.
 *
 * @module
 */
import { CodedError } from "../../errors/mod.ts";

/** Every code of the client layer. */
export type ClientErrorCode =
  | "bad-command"
  | "too-long"
  | "too-many-unacked"
  | "peer-slow"
  | "chat-ended"
  | "peer-unreachable"
  | "peer-protocol"
  | "server-key-mismatch"
  | "server-unreachable"
  | "listen-failed"
  | "name-replaced";

/** Base of the client's own errors. */
export class ClientError<C extends ClientErrorCode = ClientErrorCode> extends CodedError<C> {}

/** A line that is not a valid command; the message says the right form. */
export class CommandError extends ClientError<"bad-command"> {
  /** Makes the error; `message` gives the right form. */
  constructor(message: string) {
    super("bad-command", message);
  }
}

/** A message the chat will not send; the message says why and what to do. */
export class ChatError
  extends ClientError<"too-long" | "too-many-unacked" | "peer-slow" | "chat-ended"> {}

/** A peer could not be reached or did not answer in time. */
export class PeerUnreachableError extends ClientError<"peer-unreachable"> {
  /** Makes the error; `message` says which peer and why. */
  constructor(message: string, options?: ErrorOptions) {
    super("peer-unreachable", message, options);
  }
}

/** A peer broke the peer protocol (docs/protocol.md §10). */
export class PeerProtocolError extends ClientError<"peer-protocol"> {
  /** Makes the error; `message` names the fault, never echoes the input. */
  constructor(message: string) {
    super("peer-protocol", message);
  }
}

/** The directory proved another key than the pinned or demanded one; fatal at start. */
export class ServerKeyError extends ClientError<"server-key-mismatch"> {
  /** Makes the error; `message` explains the pin and what to do. */
  constructor(message: string) {
    super("server-key-mismatch", message);
  }
}
