/**
 * Errors of the chat client: the client layer's codes, each raised with the
 * facts of what happened as data ({@linkcode ClientProblem}). Each is
 * reported as an `error` event with its code (docs/cli.md); the interface
 * words the facts (`client/terminal/words.ts`), so no sentence is built
 * where an error is raised. An error's own `message` names its code and
 * problem, for stack traces only.
 *
 * @module
 */
import { CodedError, errorCode, errorMessage } from "../../errors/mod.ts";

/** Every code of the client layer. */
export type ClientErrorCode =
  | "bad-command"
  | "self"
  | "too-long"
  | "too-many-unacked"
  | "peer-slow"
  | "chat-ended"
  | "peer-unreachable"
  | "peer-protocol"
  | "server-key-mismatch"
  | "server-unreachable"
  | "listen-failed"
  | "name-replaced"
  | "name-lost"
  | "mail-failed"
  // Groups (issue 24).
  | "unknown-group"
  | "not-admin"
  | "group-full"
  | "too-many-groups"
  // Files (issue 23):
  | "bad-file"
  // Key transparency (docs/protocol.md §15.6).
  | "unproven-binding";

/** What a peer did not send in time, or before it hung up. */
export type AwaitedWord = "answer" | "resume-answer";

/** What went wrong, as data: `code` is the error's code, `problem` which case of it. */
export type ClientProblem =
  | { code: "bad-command"; problem: "usage"; usage: string }
  | { code: "bad-command"; problem: "unknown-command"; word: string }
  | { code: "bad-command"; problem: "no-chat" }
  | { code: "bad-command"; problem: "no-request"; peer: string }
  | { code: "bad-command"; problem: "already-asking"; peer: string }
  | { code: "bad-command"; problem: "peer-online"; peer: string }
  | { code: "bad-command"; problem: "mail-off" }
  | { code: "bad-command"; problem: "no-key"; peer: string }
  | { code: "bad-command"; problem: "no-pin"; peer: string }
  | { code: "bad-command"; problem: "no-changed-key"; peer: string }
  /** A command that needs someone else was given your own name. */
  | { code: "self"; problem: "self"; name: string; command: string }
  | { code: "chat-ended"; problem: "chat-ended"; peer: string }
  | { code: "too-long"; problem: "text-too-long"; length: number; max: number }
  | { code: "too-long"; problem: "mail-too-long"; max: number }
  | { code: "too-long"; problem: "sealed-too-long" }
  | { code: "peer-slow"; problem: "peer-slow"; peer: string }
  | { code: "too-many-unacked"; problem: "too-many-unacked"; peer: string; max: number }
  | { code: "peer-unreachable"; problem: "no-address" }
  | { code: "peer-unreachable"; problem: "no-answer"; port: number; ms: number }
  | { code: "peer-unreachable"; problem: "cannot-reach"; port: number; causes: string[] }
  | { code: "peer-unreachable"; problem: "no-reply"; awaited: AwaitedWord; ms: number }
  | { code: "peer-unreachable"; problem: "closed-early"; awaited: AwaitedWord }
  | { code: "peer-unreachable"; problem: "lost-race" }
  | {
    code: "server-key-mismatch";
    problem: "server-key-changed";
    server: string;
    got: string;
    pinned: string;
    file: string;
  }
  | {
    code: "server-key-mismatch";
    problem: "server-key-not-given";
    server: string;
    got: string;
    given: string;
  }
  | { code: "server-unreachable"; problem: "server-unreachable"; cause: string }
  | { code: "listen-failed"; problem: "listen-failed"; address: string; cause: string }
  | { code: "name-replaced"; problem: "name-replaced" }
  /** The directory lost its data and could not give the name back; `why`: its own words. */
  | { code: "name-lost"; problem: "name-lost"; why: string }
  | { code: "mail-failed"; problem: "mail-failed"; cause: string }
  | { code: "peer-protocol"; problem: "peer-protocol"; rule: string }
  // Groups (issue 24).
  | { code: "bad-command"; problem: "bad-title"; title: string }
  | { code: "bad-command"; problem: "title-taken"; title: string }
  | { code: "bad-command"; problem: "already-member"; name: string; title: string }
  | { code: "bad-command"; problem: "not-in-group"; name: string; title: string }
  | { code: "bad-command"; problem: "admin-leave"; title: string }
  | { code: "bad-command"; problem: "not-joined"; title: string }
  | { code: "bad-command"; problem: "no-group-chat" }
  | { code: "bad-command"; problem: "group-eom"; title: string }
  | { code: "bad-command"; problem: "no-groups" }
  | { code: "too-long"; problem: "group-too-long"; max: number }
  | { code: "unknown-group"; problem: "unknown-group"; ref: string }
  | { code: "unknown-group"; problem: "ambiguous-group"; ref: string; ids: string[] }
  | { code: "not-admin"; problem: "not-admin"; title: string; admin: string }
  | { code: "group-full"; problem: "group-full"; title: string; max: number }
  | { code: "too-many-groups"; problem: "too-many-groups"; max: number }
  // Files (issue 23):
  /** No transfer of this session has an id starting with `id` (that the command applies to). */
  | { code: "bad-command"; problem: "no-transfer"; id: string; command: string }
  | { code: "bad-command"; problem: "ambiguous-transfer"; id: string; count: number }
  | { code: "bad-command"; problem: "files-off" }
  | { code: "bad-file"; problem: "file-missing"; path: string }
  | { code: "bad-file"; problem: "not-a-file"; path: string }
  | { code: "bad-file"; problem: "file-unreadable"; path: string; cause: string }
  | { code: "bad-file"; problem: "file-too-big"; path: string; size: number; max: number }
  // Key transparency (docs/protocol.md §15.6).
  /** The directory's key for `peer` is not proven by its log (a warning said why). */
  | { code: "unproven-binding"; problem: "unproven-binding"; peer: string };

/** The problems of one code. */
export type ProblemOf<C extends ClientErrorCode> = Extract<ClientProblem, { code: C }>;

/** Base of the client's own errors: a code and the facts the interface words. */
export class ClientError<C extends ClientErrorCode = ClientErrorCode> extends CodedError<C> {
  /** What happened, as data. */
  readonly problem: ProblemOf<C>;

  /** Raises `problem`; its `code` is the error's. */
  constructor(problem: ProblemOf<C>, options?: ErrorOptions) {
    super(problem.code as C, `${problem.code} (${problem.problem})`, options);
    this.problem = problem;
  }
}

/** A line that is not a valid command, or a command that cannot be done now. */
export class CommandError extends ClientError<"bad-command" | "self"> {}

/** A message the chat will not send; the problem says why. */
export class ChatError
  extends ClientError<"too-long" | "too-many-unacked" | "peer-slow" | "chat-ended"> {}

// Files (issue 23):
/** A file `/send` cannot offer: missing, not a regular file, unreadable, too big. */
export class FileError extends ClientError<"bad-file"> {}

/** A peer could not be reached or did not answer in time. */
export class PeerUnreachableError extends ClientError<"peer-unreachable"> {}

/** The directory proved another key than the pinned or demanded one; fatal at start. */
export class ServerKeyError extends ClientError<"server-key-mismatch"> {}

/**
 * A peer broke the peer protocol (docs/protocol.md §10). Its message is the
 * rule broken (reported as a `security-warning`'s `detail`); it never echoes
 * the input.
 */
export class PeerProtocolError extends ClientError<"peer-protocol"> {
  /** Makes the error; `rule` names the fault. */
  constructor(rule: string) {
    super({ code: "peer-protocol", problem: "peer-protocol", rule });
    this.message = rule;
  }
}

/** An `error` event for `error`: a client error's facts, or another layer's code and message. */
export function errorEvent(
  error: unknown,
): { type: "error"; code: string; message?: string; about?: ClientProblem } {
  if (error instanceof ClientError) {
    return { type: "error", code: error.code, about: error.problem };
  }
  return { type: "error", code: errorCode(error), message: errorMessage(error) };
}
