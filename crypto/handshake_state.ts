/**
 * What both roles of the handshake share (docs/protocol.md §3): the bounds,
 * the Session a verified final step makes, the single-use State base, and the
 * steps' common work (keys from the transcript, proving and verifying an
 * identity, reading versions and frames). The roles' steps are in
 * handshake_initiator.ts and handshake_responder.ts.
 *
 * @module
 */
import { concatBytes, utf8 } from "./bytes.ts";
import { HandshakeError, PeerBusy, UnexpectedPeerKey } from "./errors.ts";
import { encodeFrame, type Frame, FrameType, HEADER_LENGTH, writeHeader } from "./frame.ts";
import { type Identity, PUBLIC_KEY_LENGTH, PublicIdentity, SIGNATURE_LENGTH } from "./identity.ts";
import { deriveKeys, deriveSas, type DirectionalKeys, Label } from "./key_schedule.ts";
import { TAG_LENGTH } from "./aead.ts";
import { Transcript } from "./transcript.ts";
import { EphemeralKey } from "./ecdh.ts";
import { type Fingerprint, formatFingerprint } from "./fingerprint.ts";

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 1;
/** Largest handshake frame body accepted. */
export const MAX_HANDSHAKE_BODY = 256;
/**
 * Bytes of the version in Commit and Response.
 * @internal
 */
export const VERSION_LENGTH: number = 2;
/**
 * Bytes of the commitment SHA-256(eI).
 * @internal
 */
export const COMMITMENT_LENGTH: number = 32;
/**
 * What an auth frame seals: identity and signature.
 * @internal
 */
export const AUTH_PLAINTEXT_LENGTH: number = PUBLIC_KEY_LENGTH + SIGNATURE_LENGTH;
/**
 * An auth frame's body: the sealed identity and signature, and the tag.
 * @internal
 */
export const AUTH_BODY_LENGTH: number = AUTH_PLAINTEXT_LENGTH + TAG_LENGTH;
/**
 * What the responder's signature covers starts with this.
 * @internal
 */
export const RESPONDER_CONTEXT: Uint8Array = utf8("p2pchat/1 responder signature\0");
/**
 * What the initiator's signature covers starts with this.
 * @internal
 */
export const INITIATOR_CONTEXT: Uint8Array = utf8("p2pchat/1 initiator signature\0");

/** Options both roles take. */
export type HandshakeOptions = {
  /** Abort with UnexpectedPeerKey unless the peer proves the key with this fingerprint. */
  expectedPeer?: Fingerprint;
  /** Makes this side's ephemeral key; a fresh random one unless fixed (known-answer vectors). */
  ephemeral?: () => EphemeralKey;
};

/** Which end of the handshake a side is. */
export type Role = "initiator" | "responder";

/** A step's outcome: the frame to send now and the state that reads the peer's next frame. */
export type Step<Next> = { readonly message: Uint8Array; readonly next: Next };

/**
 * The token only this folder's steps hold, so states are made by the steps alone.
 * @internal
 */
export const internal: unique symbol = Symbol("handshake");

/** The outcome of a completed handshake: only a verified final step can make one. */
export class Session {
  /** This side's role. */
  readonly role: Role;
  /** The identity the peer proved by signature. */
  readonly peer: PublicIdentity;
  /** The short authentication string, equal on both ends of an honest channel. */
  readonly sas: string;
  /** The application keys, both directions. */
  readonly keys: DirectionalKeys;

  /** @internal Built by the handshake's final step only. */
  constructor(
    token: typeof internal,
    fields: { role: Role; peer: PublicIdentity; sas: string; keys: DirectionalKeys },
  ) {
    if (token !== internal) throw new TypeError("Sessions come from a completed handshake");
    this.role = fields.role;
    this.peer = fields.peer;
    this.sas = fields.sas;
    this.keys = fields.keys;
  }
}

/**
 * What every state carries: who we are, what we demand, the transcript so far.
 * @internal
 */
export type Context = {
  readonly identity: Identity;
  readonly options: HandshakeOptions;
  readonly transcript: Transcript;
};

/**
 * What a state carries once the ECDH secret is agreed (after message 3).
 * @internal
 */
export type Keyed = Context & {
  readonly secret: Uint8Array;
  readonly keys: DirectionalKeys;
  readonly sas: string;
};

/** A state object may be stepped once: replaying a step would reuse its ephemeral key. */
export abstract class State {
  #spent = false;
  /** Marks the state used; throws TypeError if it was already. */
  protected spend(): void {
    if (this.#spent) throw new TypeError("Each handshake state can be used once");
    this.#spent = true;
  }
}

/** Length of a Busy frame's body: the wait in ms, 4 bytes big-endian. */
export const BUSY_LENGTH = 4;
/** The longest wait a Busy frame may ask for; longer ones are read as this (it is unauthenticated). */
export const MAX_BUSY_RETRY_MS = 60_000;

/**
 * What a responder over capacity sends instead of its Response (§3): a
 * Busy frame asking the initiator to retry after `retryAfterMs`. It costs
 * no key agreement, which is its point.
 */
export function busyReply(retryAfterMs: number): Uint8Array {
  const body = new Uint8Array(BUSY_LENGTH);
  new DataView(body.buffer).setUint32(
    0,
    Math.max(0, Math.min(MAX_BUSY_RETRY_MS, Math.round(retryAfterMs))),
  );
  return encodeFrame(FrameType.Busy, body);
}

/**
 * The PeerBusy a Busy frame says, its wait bounded by MAX_BUSY_RETRY_MS.
 * @internal
 */
export function readBusy(frame: Frame, stage: string): HandshakeError {
  if (frame.body.length !== BUSY_LENGTH) {
    return new HandshakeError("bad-message", `a Busy frame of ${frame.body.length} bytes`, {
      stage,
    });
  }
  const wait = new DataView(frame.body.buffer, frame.body.byteOffset, BUSY_LENGTH).getUint32(0);
  return new PeerBusy(Math.min(wait, MAX_BUSY_RETRY_MS));
}

/**
 * Both roles once the reveal is known: handshake keys and the SAS from th3 (§4, §5).
 * @internal
 */
export function keyed(context: Context, secret: Uint8Array): Keyed {
  const th3 = context.transcript.hash();
  return {
    ...context,
    secret,
    keys: deriveKeys(secret, th3, Label.handshake),
    sas: deriveSas(th3),
  };
}

/**
 * AuthSpec
 * @internal
 */
export type AuthSpec = {
  type: FrameType;
  direction: DirectionalKeys["initiatorToResponder"];
  context: Uint8Array;
};

/**
 * Signs the transcript so far and seals `identity || signature` into an auth frame (appended).
 * @internal
 */
export function proveSelf(state: Keyed, spec: AuthSpec): Uint8Array {
  const own = state.identity.public.key;
  const signature = state.identity.sign(concatBytes(spec.context, state.transcript.hash(), own));
  const header = new Uint8Array(HEADER_LENGTH);
  writeHeader(header, spec.type, AUTH_BODY_LENGTH);
  const sealed = spec.direction.key.seal(spec.direction.iv, concatBytes(own, signature), header);
  const message = concatBytes(header, sealed as Uint8Array);
  state.transcript.append(message);
  return message;
}

/**
 * Opens the peer's auth frame, checks its signature and the demanded key; appends it.
 * @internal
 */
export function verifyPeer(
  state: Keyed,
  frame: Frame,
  spec: AuthSpec & { stage: string },
): PublicIdentity {
  const { stage } = spec;
  expectFrame(frame, spec.type, AUTH_BODY_LENGTH, stage);
  const plaintext = spec.direction.key.open(spec.direction.iv, frame.body, frame.header) as
    | Uint8Array
    | null;
  if (plaintext === null) {
    throw new HandshakeError(
      "decrypt-failed",
      "the peer's proof did not decrypt; the handshake was tampered with",
      { stage },
    );
  }
  const rawKey = plaintext.subarray(0, PUBLIC_KEY_LENGTH);
  const signature = plaintext.subarray(PUBLIC_KEY_LENGTH);
  let peer: PublicIdentity;
  try {
    peer = PublicIdentity.fromRaw(rawKey);
  } catch (cause) {
    throw new HandshakeError("bad-message", "the peer's identity key is malformed", {
      stage,
      cause,
    });
  }
  const signed = concatBytes(spec.context, state.transcript.hash(), rawKey);
  if (!peer.verify(signature, signed)) {
    throw new HandshakeError("bad-signature", "the peer's signature does not verify", { stage });
  }
  const expected = state.options.expectedPeer;
  if (expected !== undefined && expected !== peer.fingerprint) {
    throw new UnexpectedPeerKey(formatFingerprint(expected), formatFingerprint(peer.fingerprint));
  }
  state.transcript.append(frame.bytes);
  return peer;
}

/**
 * Both roles' last step: application keys from th5, the ECDH secret wiped (§4).
 * @internal
 */
export function finish(state: Keyed, role: Role, peer: PublicIdentity): Session {
  const keys = deriveKeys(state.secret, state.transcript.hash(), Label.application);
  state.secret.fill(0);
  return new Session(internal, { role, peer, sas: state.sas, keys });
}

/**
 * agree
 * @internal
 */
export function agree(own: EphemeralKey, peerRaw: Uint8Array, stage: string): Uint8Array {
  try {
    return own.agree(peerRaw);
  } catch (cause) {
    throw new HandshakeError("bad-message", "the peer's ephemeral key is not a P-256 point", {
      stage,
      cause,
    });
  }
}

/**
 * expectFrame
 * @internal
 */
export function expectFrame(frame: Frame, type: FrameType, length: number, stage: string): void {
  if (frame.type !== type) {
    throw new HandshakeError("bad-message", `expected frame type ${type}, got ${frame.type}`, {
      stage,
    });
  }
  if (frame.body.length !== length) {
    throw new HandshakeError("bad-message", `expected ${length} bytes, got ${frame.body.length}`, {
      stage,
    });
  }
}

/**
 * readVersion
 * @internal
 */
export function readVersion(frame: Frame, type: FrameType, stage: string): number {
  if (frame.type !== type || frame.body.length < VERSION_LENGTH) {
    throw new HandshakeError("bad-message", "not a p2pchat handshake", { stage });
  }
  return (frame.body[0] << 8) | frame.body[1];
}

/**
 * versionBytes
 * @internal
 */
export function versionBytes(): Uint8Array {
  return new Uint8Array([PROTOCOL_VERSION >> 8, PROTOCOL_VERSION & 0xff]);
}
