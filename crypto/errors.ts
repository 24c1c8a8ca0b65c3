/**
 * Typed failures of the secure channel: the crypto layer's codes. Callers
 * branch on `code`, which is stable; messages are for people and never carry
 * key material.
 *
 * @module
 */
import { CodedError } from "../errors/mod.ts";

/** Why a handshake failed. */
export type HandshakeErrorCode =
  | "version-mismatch"
  | "handshake-timeout"
  | "unexpected-peer-key"
  | "peer-rejected"
  /** The responder answered Busy before any key agreement: retry after `retryAfterMs`. */
  | "peer-busy"
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
  /** The peer left more than the channel's bound unread: it was dropped as a slow reader. */
  | "slow-reader"
  | "closed";

/** Every code of the crypto layer. */
export type ChannelErrorCode = HandshakeErrorCode | RecordErrorCode;

/** Base of every failure the channel reports. */
export class ChannelError<C extends ChannelErrorCode = ChannelErrorCode> extends CodedError<C> {}

/** The handshake did not complete; no application data passed. */
export class HandshakeError extends ChannelError<HandshakeErrorCode> {
  /** Which handshake step failed, e.g. `"reading message 4"`; empty when not tied to one. */
  readonly stage: string;

  /** A failure with `code`; `options.stage` names the step, and prefixes the message. */
  constructor(
    code: HandshakeErrorCode,
    message: string,
    options?: ErrorOptions & { stage?: string },
  ) {
    super(code, options?.stage ? `Handshake failed while ${options.stage}: ${message}` : message, {
      cause: options?.cause,
    });
    this.stage = options?.stage ?? "";
  }
}

/** The peer speaks another protocol version. */
export class VersionMismatch extends HandshakeError {
  /** Makes the error naming both versions. */
  constructor(ours: number, theirs: number) {
    super(
      "version-mismatch",
      `Protocol version mismatch: we speak ${ours}, the peer speaks ${theirs}; upgrade the older side`,
    );
  }
}

/** The handshake did not finish within its time bound. */
export class HandshakeTimeout extends HandshakeError {
  /** Makes the error naming the bound. */
  constructor(ms: number) {
    super("handshake-timeout", `Handshake did not finish within ${ms} ms; the peer stalled`);
  }
}

/**
 * The responder said it is over capacity (a Busy frame, docs/protocol.md
 * §3) instead of answering with its key: nothing was agreed, and the
 * initiator should retry after `retryAfterMs` (with jitter of its own).
 */
export class PeerBusy extends HandshakeError {
  /** How long the responder asked the initiator to wait, in ms (at most MAX_BUSY_RETRY_MS). */
  readonly retryAfterMs: number;

  /** Makes the error for a Busy answer asking to wait `retryAfterMs`. */
  constructor(retryAfterMs: number) {
    super("peer-busy", `The peer is busy; retry after ${retryAfterMs} ms`);
    this.retryAfterMs = retryAfterMs;
  }
}

/** The peer proved a key other than the one the caller demanded. */
export class UnexpectedPeerKey extends HandshakeError {
  /** The fingerprint demanded, formatted. */
  readonly expected: string;
  /** The fingerprint the peer proved, formatted. */
  readonly got: string;

  /** Makes the error from both formatted fingerprints. */
  constructor(expected: string, got: string) {
    super(
      "unexpected-peer-key",
      `Peer proved identity ${got} but ${expected} was expected; someone may be impersonating the peer`,
    );
    this.expected = expected;
    this.got = got;
  }
}

/** An established channel saw a bad record and closed. */
export class RecordError extends ChannelError<RecordErrorCode> {}

/** Why a sealed message (docs/protocol.md §12) was not opened. */
export type MailErrorCode =
  | "malformed"
  | "not-for-me"
  | "unknown-prekey"
  | "tampered"
  | "bad-signature";

/** A sealed message that does not open: it was cut, altered, forged, or sealed to a prekey we no longer keep. */
export class MailError extends CodedError<MailErrorCode> {}
