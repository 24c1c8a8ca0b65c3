/**
 * The handshake as typed steps, no I/O (docs/protocol.md §3): SIGMA-I
 * (Krawczyk 2003, as used by TLS 1.3 and IKEv2) over ephemeral ECDH P-256 with
 * Ed25519 identities, preceded by a hash commitment to the initiator's
 * ephemeral key (as in ZRTP, RFC 6189 §4.4.1.1) so the SAS cannot be ground.
 *
 *   -> Commit         version, SHA-256(eI)
 *   <- Response       version, eR
 *   -> Reveal         eI
 *   <- ResponderAuth  AEAD_hs(idR, sig_R(th3 || idR))
 *   -> InitiatorAuth  AEAD_hs(idI, sig_I(th4 || idI))
 *
 * Each state reads one frame from the peer and returns the frame to send and
 * the next state, as snow and noise-c do: a step cannot be called before the
 * one it follows (the previous state is the only way to get its object), and
 * each state can be used once. Only a verified final step makes a Session.
 *
 * @example
 * ```ts
 * import { startInitiator, startResponder } from "./handshake.ts";
 * import { Identity } from "./identity.ts";
 * import { type Frame, HEADER_LENGTH } from "./frame.ts";
 *
 * const asFrame = (b: Uint8Array): Frame =>
 *   ({ type: b[0], header: b.subarray(0, HEADER_LENGTH), body: b.subarray(HEADER_LENGTH), bytes: b });
 * const commit = startInitiator(Identity.generate());
 * const response = startResponder(Identity.generate()).readCommit(asFrame(commit.message));
 * const reveal = commit.next.readResponse(asFrame(response.message));
 * const responderAuth = response.next.readReveal(asFrame(reveal.message));
 * const initiator = reveal.next.readResponderAuth(asFrame(responderAuth.message));
 * const responder = responderAuth.next.readInitiatorAuth(asFrame(initiator.message));
 * console.log(initiator.session.sas === responder.sas); // true
 * ```
 *
 * @module
 */
import { concatBytes, equalBytes, sha256, utf8 } from "./bytes.ts";
import { HandshakeError, PeerBusy, UnexpectedPeerKey, VersionMismatch } from "./errors.ts";
import { encodeFrame, type Frame, FrameType, HEADER_LENGTH, writeHeader } from "./frame.ts";
import { type Identity, PUBLIC_KEY_LENGTH, PublicIdentity, SIGNATURE_LENGTH } from "./identity.ts";
import { deriveKeys, deriveSas, type DirectionalKeys, Label } from "./key_schedule.ts";
import { TAG_LENGTH } from "./aead.ts";
import { Transcript } from "./transcript.ts";
import { EPHEMERAL_KEY_LENGTH, EphemeralKey } from "./ecdh.ts";
import { type Fingerprint, formatFingerprint } from "./fingerprint.ts";

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 1;
/** Largest handshake frame body accepted. */
export const MAX_HANDSHAKE_BODY = 256;
const VERSION_LENGTH = 2;
const COMMITMENT_LENGTH = 32;
const AUTH_PLAINTEXT_LENGTH = PUBLIC_KEY_LENGTH + SIGNATURE_LENGTH;
const AUTH_BODY_LENGTH = AUTH_PLAINTEXT_LENGTH + TAG_LENGTH;
const RESPONDER_CONTEXT = utf8("p2pchat/1 responder signature\0");
const INITIATOR_CONTEXT = utf8("p2pchat/1 initiator signature\0");

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

const internal = Symbol("handshake");

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

/** What every state carries: who we are, what we demand, the transcript so far. */
type Context = {
  readonly identity: Identity;
  readonly options: HandshakeOptions;
  readonly transcript: Transcript;
};

/** What a state carries once the ECDH secret is agreed (after message 3). */
type Keyed = Context & {
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

/** -> Commit: version, SHA-256(eI). The initiator's first step. */
export function startInitiator(
  identity: Identity,
  options: HandshakeOptions = {},
): Step<InitiatorAwaitingResponse> {
  const ephemeral = (options.ephemeral ?? EphemeralKey.generate)();
  const message = encodeFrame(
    FrameType.Commit,
    concatBytes(versionBytes(), sha256(ephemeral.publicRaw)),
  );
  const transcript = new Transcript();
  transcript.append(message);
  return {
    message,
    next: new InitiatorAwaitingResponse(internal, { identity, options, transcript }, ephemeral),
  };
}

/** The initiator after its Commit, waiting for the responder's key. */
export class InitiatorAwaitingResponse extends State {
  readonly #context: Context;
  readonly #ephemeral: EphemeralKey;

  /** @internal Made by startInitiator(). */
  constructor(token: typeof internal, context: Context, ephemeral: EphemeralKey) {
    super();
    if (token !== internal) throw new TypeError("Use startInitiator()");
    this.#context = context;
    this.#ephemeral = ephemeral;
  }

  /**
   * <- Response: version, eR.  -> Reveal: eI. A Busy frame in its place
   * throws PeerBusy: the commitment was never answered, so its ephemeral key
   * may be committed to again.
   */
  readResponse(frame: Frame): Step<InitiatorAwaitingResponderAuth> {
    this.spend();
    const stage = "reading the responder's key (message 2)";
    if (frame.type === FrameType.Busy) throw readBusy(frame, stage);
    const version = readVersion(frame, FrameType.Response, stage);
    if (version !== PROTOCOL_VERSION) throw new VersionMismatch(PROTOCOL_VERSION, version);
    expectFrame(frame, FrameType.Response, VERSION_LENGTH + EPHEMERAL_KEY_LENGTH, stage);
    const secret = agree(this.#ephemeral, frame.body.subarray(VERSION_LENGTH), stage);
    const message = encodeFrame(FrameType.Reveal, this.#ephemeral.publicRaw);
    this.#context.transcript.append(frame.bytes, message);
    return {
      message,
      next: new InitiatorAwaitingResponderAuth(internal, keyed(this.#context, secret)),
    };
  }
}

/** The initiator after its Reveal, waiting for the responder's proof. */
export class InitiatorAwaitingResponderAuth extends State {
  readonly #state: Keyed;

  /** @internal Made by InitiatorAwaitingResponse. */
  constructor(token: typeof internal, state: Keyed) {
    super();
    if (token !== internal) throw new TypeError("Use startInitiator()");
    this.#state = state;
  }

  /** <- ResponderAuth.  -> InitiatorAuth; the session is established. */
  readResponderAuth(frame: Frame): { message: Uint8Array; session: Session } {
    this.spend();
    const state = this.#state;
    const peer = verifyPeer(state, frame, {
      type: FrameType.ResponderAuth,
      direction: state.keys.responderToInitiator,
      context: RESPONDER_CONTEXT,
      stage: "verifying the responder (message 4)",
    });
    const message = proveSelf(state, {
      type: FrameType.InitiatorAuth,
      direction: state.keys.initiatorToResponder,
      context: INITIATOR_CONTEXT,
    });
    return { message, session: finish(state, "initiator", peer) };
  }
}

/** The responder's first state: waiting for a Commit. */
export function startResponder(
  identity: Identity,
  options: HandshakeOptions = {},
): ResponderAwaitingCommit {
  return new ResponderAwaitingCommit(internal, {
    identity,
    options,
    transcript: new Transcript(),
  });
}

/** The responder before anything arrived. */
export class ResponderAwaitingCommit extends State {
  readonly #context: Context;

  /** @internal Made by startResponder(). */
  constructor(token: typeof internal, context: Context) {
    super();
    if (token !== internal) throw new TypeError("Use startResponder()");
    this.#context = context;
  }

  /** <- Commit.  -> Response: version, eR.  Throws VersionMismatch (answer with versionReply()). */
  readCommit(frame: Frame): Step<ResponderAwaitingReveal> {
    this.spend();
    const stage = "reading the initiator's commitment (message 1)";
    const version = readVersion(frame, FrameType.Commit, stage);
    if (version !== PROTOCOL_VERSION) throw new VersionMismatch(PROTOCOL_VERSION, version);
    expectFrame(frame, FrameType.Commit, VERSION_LENGTH + COMMITMENT_LENGTH, stage);
    const ephemeral = (this.#context.options.ephemeral ?? EphemeralKey.generate)();
    const message = encodeFrame(
      FrameType.Response,
      concatBytes(versionBytes(), ephemeral.publicRaw),
    );
    this.#context.transcript.append(frame.bytes, message);
    return {
      message,
      next: new ResponderAwaitingReveal(
        internal,
        this.#context,
        ephemeral,
        frame.body.slice(VERSION_LENGTH),
      ),
    };
  }
}

/** The responder after its Response, waiting for the key the initiator committed to. */
export class ResponderAwaitingReveal extends State {
  readonly #context: Context;
  readonly #ephemeral: EphemeralKey;
  readonly #commitment: Uint8Array;

  /** @internal Made by ResponderAwaitingCommit. */
  constructor(
    token: typeof internal,
    context: Context,
    ephemeral: EphemeralKey,
    commitment: Uint8Array,
  ) {
    super();
    if (token !== internal) throw new TypeError("Use startResponder()");
    this.#context = context;
    this.#ephemeral = ephemeral;
    this.#commitment = commitment;
  }

  /** <- Reveal: eI, checked against the commitment.  -> ResponderAuth. */
  readReveal(frame: Frame): Step<ResponderAwaitingInitiatorAuth> {
    this.spend();
    const stage = "reading the initiator's key (message 3)";
    expectFrame(frame, FrameType.Reveal, EPHEMERAL_KEY_LENGTH, stage);
    if (!equalBytes(sha256(frame.body), this.#commitment)) {
      throw new HandshakeError("bad-message", "the initiator's key does not match its commitment", {
        stage,
      });
    }
    const secret = agree(this.#ephemeral, frame.body, stage);
    this.#context.transcript.append(frame.bytes);
    const state = keyed(this.#context, secret);
    const message = proveSelf(state, {
      type: FrameType.ResponderAuth,
      direction: state.keys.responderToInitiator,
      context: RESPONDER_CONTEXT,
    });
    return { message, next: new ResponderAwaitingInitiatorAuth(internal, state) };
  }
}

/** The responder after its proof, waiting for the initiator's. */
export class ResponderAwaitingInitiatorAuth extends State {
  readonly #state: Keyed;

  /** @internal Made by ResponderAwaitingReveal. */
  constructor(token: typeof internal, state: Keyed) {
    super();
    if (token !== internal) throw new TypeError("Use startResponder()");
    this.#state = state;
  }

  /** <- InitiatorAuth; the session is established. */
  readInitiatorAuth(frame: Frame): Session {
    this.spend();
    const peer = verifyPeer(this.#state, frame, {
      type: FrameType.InitiatorAuth,
      direction: this.#state.keys.initiatorToResponder,
      context: INITIATOR_CONTEXT,
      stage: "verifying the initiator (message 5)",
    });
    return finish(this.#state, "responder", peer);
  }
}

/**
 * What a responder sends when the Commit carries another version: a Response
 * with only our version, so the initiator can say which side to upgrade.
 */
export function versionReply(): Uint8Array {
  return encodeFrame(FrameType.Response, versionBytes());
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

/** The PeerBusy a Busy frame says, its wait bounded by MAX_BUSY_RETRY_MS. */
function readBusy(frame: Frame, stage: string): HandshakeError {
  if (frame.body.length !== BUSY_LENGTH) {
    return new HandshakeError("bad-message", `a Busy frame of ${frame.body.length} bytes`, {
      stage,
    });
  }
  const wait = new DataView(frame.body.buffer, frame.body.byteOffset, BUSY_LENGTH).getUint32(0);
  return new PeerBusy(Math.min(wait, MAX_BUSY_RETRY_MS));
}

/** Both roles once the reveal is known: handshake keys and the SAS from th3 (§4, §5). */
function keyed(context: Context, secret: Uint8Array): Keyed {
  const th3 = context.transcript.hash();
  return {
    ...context,
    secret,
    keys: deriveKeys(secret, th3, Label.handshake),
    sas: deriveSas(th3),
  };
}

type AuthSpec = {
  type: FrameType;
  direction: DirectionalKeys["initiatorToResponder"];
  context: Uint8Array;
};

/** Signs the transcript so far and seals `identity || signature` into an auth frame (appended). */
function proveSelf(state: Keyed, spec: AuthSpec): Uint8Array {
  const own = state.identity.public.key;
  const signature = state.identity.sign(concatBytes(spec.context, state.transcript.hash(), own));
  const header = new Uint8Array(HEADER_LENGTH);
  writeHeader(header, spec.type, AUTH_BODY_LENGTH);
  const sealed = spec.direction.key.seal(spec.direction.iv, concatBytes(own, signature), header);
  const message = concatBytes(header, sealed as Uint8Array);
  state.transcript.append(message);
  return message;
}

/** Opens the peer's auth frame, checks its signature and the demanded key; appends it. */
function verifyPeer(
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

/** Both roles' last step: application keys from th5, the ECDH secret wiped (§4). */
function finish(state: Keyed, role: Role, peer: PublicIdentity): Session {
  const keys = deriveKeys(state.secret, state.transcript.hash(), Label.application);
  state.secret.fill(0);
  return new Session(internal, { role, peer, sas: state.sas, keys });
}

function agree(own: EphemeralKey, peerRaw: Uint8Array, stage: string): Uint8Array {
  try {
    return own.agree(peerRaw);
  } catch (cause) {
    throw new HandshakeError("bad-message", "the peer's ephemeral key is not a P-256 point", {
      stage,
      cause,
    });
  }
}

function expectFrame(frame: Frame, type: FrameType, length: number, stage: string): void {
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

function readVersion(frame: Frame, type: FrameType, stage: string): number {
  if (frame.type !== type || frame.body.length < VERSION_LENGTH) {
    throw new HandshakeError("bad-message", "not a p2pchat handshake", { stage });
  }
  return (frame.body[0] << 8) | frame.body[1];
}

function versionBytes(): Uint8Array {
  return new Uint8Array([PROTOCOL_VERSION >> 8, PROTOCOL_VERSION & 0xff]);
}
