/**
 * Typed failures of the secure channel. Callers branch on `code`, which is
 * stable; messages are for people and never carry key material.
 *
 * @module
 */

/** Why a handshake failed. */
export type HandshakeErrorCode =
  | "version-mismatch"
  | "handshake-timeout"
  | "unexpected-peer-key"
  | "peer-rejected"
  | "bad-signature"
  | "bad-message"
  | "decrypt-failed"
  | "connection-closed";

/** Why an established channel failed. */
export type RecordErrorCode =
  | "tampered"
  | "replayed"
  | "missing"
  | "oversized"
  | "truncated"
  | "unexpected-type"
  | "nonce-exhausted"
  | "malformed"
  | "closed";

/** Base of every failure the channel reports. */
export class ChannelError extends Error {
  /** A stable, machine-readable reason. */
  readonly code: HandshakeErrorCode | RecordErrorCode;

  constructor(code: HandshakeErrorCode | RecordErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ChannelError";
    this.code = code;
  }
}

/** The handshake did not complete; no application data passed. */
export class HandshakeError extends ChannelError {
  declare readonly code: HandshakeErrorCode;
  /** Which handshake step failed, e.g. `"reading message 4"`. */
  readonly stage: string;

  constructor(
    code: HandshakeErrorCode,
    message: string,
    options?: ErrorOptions & { stage?: string },
  ) {
    super(code, options?.stage ? `Handshake failed while ${options.stage}: ${message}` : message, {
      cause: options?.cause,
    });
    this.name = "HandshakeError";
    this.stage = options?.stage ?? "";
  }
}

/** The peer speaks another protocol version. */
export class VersionMismatch extends HandshakeError {
  constructor(ours: number, theirs: number) {
    super(
      "version-mismatch",
      `Protocol version mismatch: we speak ${ours}, the peer speaks ${theirs}; upgrade the older side`,
    );
    this.name = "VersionMismatch";
  }
}

/** The handshake did not finish within its time bound. */
export class HandshakeTimeout extends HandshakeError {
  constructor(ms: number) {
    super("handshake-timeout", `Handshake did not finish within ${ms} ms; the peer stalled`);
    this.name = "HandshakeTimeout";
  }
}

/** The peer proved a key other than the one the caller demanded. */
export class UnexpectedPeerKey extends HandshakeError {
  /** The fingerprint demanded, formatted. */
  readonly expected: string;
  /** The fingerprint the peer proved, formatted. */
  readonly got: string;

  constructor(expected: string, got: string) {
    super(
      "unexpected-peer-key",
      `Peer proved identity ${got} but ${expected} was expected; someone may be impersonating the peer`,
    );
    this.name = "UnexpectedPeerKey";
    this.expected = expected;
    this.got = got;
  }
}

/** An established channel saw a bad record and closed. */
export class RecordError extends ChannelError {
  declare readonly code: RecordErrorCode;

  constructor(code: RecordErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = "RecordError";
  }
}
