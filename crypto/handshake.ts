/**
 * The handshake as pure state machines, no I/O (docs/protocol.md §3): SIGMA-I
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
 * Each method consumes one frame from the peer and returns the next to send.
 *
 * @module
 */
import { concatBytes, equalBytes, sha256, utf8 } from "./bytes.ts";
import { HandshakeError, UnexpectedPeerKey, VersionMismatch } from "./errors.ts";
import { encodeFrame, type Frame, FrameType, HEADER_LENGTH, writeHeader } from "./frame.ts";
import { Identity, PUBLIC_KEY_LENGTH, PublicIdentity, SIGNATURE_LENGTH } from "./identity.ts";
import { deriveKeys, deriveSas, type DirectionalKeys, Label } from "./key_schedule.ts";
import { TAG_LENGTH } from "./aead.ts";
import { Transcript } from "./transcript.ts";
import { EPHEMERAL_KEY_LENGTH, EphemeralKey } from "./ecdh.ts";
import { type Fingerprint, formatFingerprint } from "./fingerprint.ts";

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 1;
/** Largest handshake frame body accepted. */
export const MAX_HANDSHAKE_BODY = 256;
const COMMITMENT_LENGTH = 32;
const AUTH_PLAINTEXT_LENGTH = PUBLIC_KEY_LENGTH + SIGNATURE_LENGTH;
const RESPONDER_CONTEXT = utf8("p2pchat/1 responder signature\0");
const INITIATOR_CONTEXT = utf8("p2pchat/1 initiator signature\0");

/** Options both roles take. */
export type HandshakeOptions = {
  /** Abort with UnexpectedPeerKey unless the peer proves the key with this fingerprint. */
  expectedPeer?: Fingerprint;
};

const sessionToken = Symbol("session");

/** The outcome of a completed handshake: only a verified handshake can make one. */
export class Session {
  readonly role: "initiator" | "responder";
  /** The identity the peer proved by signature. */
  readonly peer: PublicIdentity;
  /** The short authentication string, equal on both ends of an honest channel. */
  readonly sas: string;
  readonly keys: DirectionalKeys;

  /** @internal Built by the handshake only. */
  constructor(
    token: typeof sessionToken,
    fields: {
      role: "initiator" | "responder";
      peer: PublicIdentity;
      sas: string;
      keys: DirectionalKeys;
    },
  ) {
    if (token !== sessionToken) throw new TypeError("Sessions come from a completed handshake");
    this.role = fields.role;
    this.peer = fields.peer;
    this.sas = fields.sas;
    this.keys = fields.keys;
  }
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
  if (frame.type !== type || frame.body.length < 2) {
    throw new HandshakeError("bad-message", "not a p2pchat handshake", { stage });
  }
  return (frame.body[0] << 8) | frame.body[1];
}

/**
 * What a responder sends when the Commit carries another version: a Response
 * with only our version, so the initiator can say which side to upgrade.
 */
export function versionReply(): Uint8Array {
  return encodeFrame(FrameType.Response, versionBytes());
}

function versionBytes(): Uint8Array {
  return new Uint8Array([PROTOCOL_VERSION >> 8, PROTOCOL_VERSION & 0xff]);
}

/** Seals `identity || signature` into an auth frame under a handshake key. */
function sealAuth(
  type: FrameType,
  direction: DirectionalKeys["initiatorToResponder"],
  plaintext: Uint8Array,
): Uint8Array {
  const header = new Uint8Array(HEADER_LENGTH);
  writeHeader(header, type, AUTH_PLAINTEXT_LENGTH + TAG_LENGTH);
  const sealed = direction.key.seal(direction.iv, plaintext, header) as Uint8Array;
  return concatBytes(header, sealed);
}

/** Opens an auth frame and checks the signature inside; returns the proven identity. */
function openAuth(
  frame: Frame,
  direction: DirectionalKeys["initiatorToResponder"],
  context: Uint8Array,
  transcriptHash: Uint8Array,
  stage: string,
): PublicIdentity {
  const plaintext = direction.key.open(direction.iv, frame.body, frame.header) as Uint8Array | null;
  if (plaintext === null) {
    throw new HandshakeError(
      "decrypt-failed",
      "the peer's proof did not decrypt; the handshake was tampered with",
      {
        stage,
      },
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
  if (!peer.verify(signature, concatBytes(context, transcriptHash, rawKey))) {
    throw new HandshakeError("bad-signature", "the peer's signature does not verify", { stage });
  }
  return peer;
}

function checkExpected(peer: PublicIdentity, options: HandshakeOptions): void {
  if (options.expectedPeer !== undefined && options.expectedPeer !== peer.fingerprint) {
    throw new UnexpectedPeerKey(
      formatFingerprint(options.expectedPeer),
      formatFingerprint(peer.fingerprint),
    );
  }
}

/** The initiator's side: start(), then readResponse(), then readResponderAuth(). */
export class InitiatorHandshake {
  readonly #identity: Identity;
  readonly #options: HandshakeOptions;
  readonly #transcript = new Transcript();
  #ephemeral?: EphemeralKey;
  #sharedSecret?: Uint8Array;
  #keys?: DirectionalKeys;
  #sas?: string;

  constructor(identity: Identity, options: HandshakeOptions = {}) {
    this.#identity = identity;
    this.#options = options;
  }

  /** -> Commit: version, SHA-256(eI). */
  start(): Uint8Array {
    this.#ephemeral = EphemeralKey.generate();
    const commitment = sha256(this.#ephemeral.publicRaw);
    const frame = encodeFrame(FrameType.Commit, concatBytes(versionBytes(), commitment));
    this.#transcript.append(frame);
    return frame;
  }

  /** <- Response: version, eR.  -> Reveal: eI. */
  readResponse(frame: Frame): Uint8Array {
    const stage = "reading the responder's key (message 2)";
    const ephemeral = this.#ephemeral;
    if (!ephemeral) throw new TypeError("start() first");
    const version = readVersion(frame, FrameType.Response, stage);
    if (version !== PROTOCOL_VERSION) throw new VersionMismatch(PROTOCOL_VERSION, version);
    expectFrame(frame, FrameType.Response, 2 + EPHEMERAL_KEY_LENGTH, stage);
    this.#sharedSecret = agree(ephemeral, frame.body.subarray(2), stage);
    const reveal = encodeFrame(FrameType.Reveal, ephemeral.publicRaw);
    this.#transcript.append(frame.bytes, reveal);
    const th3 = this.#transcript.hash();
    this.#keys = deriveKeys(this.#sharedSecret, th3, Label.handshake);
    this.#sas = deriveSas(th3);
    return reveal;
  }

  /** <- ResponderAuth.  -> InitiatorAuth; the session is established. */
  readResponderAuth(frame: Frame): { message: Uint8Array; session: Session } {
    const stage = "verifying the responder (message 4)";
    const keys = this.#keys;
    const secret = this.#sharedSecret;
    if (!keys || !secret || !this.#sas) throw new TypeError("readResponse() first");
    expectFrame(frame, FrameType.ResponderAuth, AUTH_PLAINTEXT_LENGTH + TAG_LENGTH, stage);
    const th3 = this.#transcript.hash();
    const peer = openAuth(frame, keys.responderToInitiator, RESPONDER_CONTEXT, th3, stage);
    checkExpected(peer, this.#options);
    this.#transcript.append(frame.bytes);
    const th4 = this.#transcript.hash();
    const own = this.#identity.public.key;
    const signature = this.#identity.sign(concatBytes(INITIATOR_CONTEXT, th4, own));
    const message = sealAuth(
      FrameType.InitiatorAuth,
      keys.initiatorToResponder,
      concatBytes(own, signature),
    );
    this.#transcript.append(message);
    const th5 = this.#transcript.hash();
    const applicationKeys = deriveKeys(secret, th5, Label.application);
    secret.fill(0);
    return {
      message,
      session: new Session(sessionToken, {
        role: "initiator",
        peer,
        sas: this.#sas,
        keys: applicationKeys,
      }),
    };
  }
}

/** The responder's side: readCommit(), then readReveal(), then readInitiatorAuth(). */
export class ResponderHandshake {
  readonly #identity: Identity;
  readonly #options: HandshakeOptions;
  readonly #transcript = new Transcript();
  #ephemeral?: EphemeralKey;
  #commitment?: Uint8Array;
  #sharedSecret?: Uint8Array;
  #keys?: DirectionalKeys;
  #sas?: string;

  constructor(identity: Identity, options: HandshakeOptions = {}) {
    this.#identity = identity;
    this.#options = options;
  }

  /** <- Commit.  -> Response: version, eR. */
  readCommit(frame: Frame): Uint8Array {
    const stage = "reading the initiator's commitment (message 1)";
    const version = readVersion(frame, FrameType.Commit, stage);
    if (version !== PROTOCOL_VERSION) {
      throw new VersionMismatch(PROTOCOL_VERSION, version);
    }
    expectFrame(frame, FrameType.Commit, 2 + COMMITMENT_LENGTH, stage);
    this.#commitment = frame.body.slice(2);
    this.#ephemeral = EphemeralKey.generate();
    const response = encodeFrame(
      FrameType.Response,
      concatBytes(versionBytes(), this.#ephemeral.publicRaw),
    );
    this.#transcript.append(frame.bytes, response);
    return response;
  }

  /** <- Reveal: eI, checked against the commitment.  -> ResponderAuth. */
  readReveal(frame: Frame): Uint8Array {
    const stage = "reading the initiator's key (message 3)";
    const ephemeral = this.#ephemeral;
    const commitment = this.#commitment;
    if (!ephemeral || !commitment) throw new TypeError("readCommit() first");
    expectFrame(frame, FrameType.Reveal, EPHEMERAL_KEY_LENGTH, stage);
    if (!equalBytes(sha256(frame.body), commitment)) {
      throw new HandshakeError("bad-message", "the initiator's key does not match its commitment", {
        stage,
      });
    }
    this.#sharedSecret = agree(ephemeral, frame.body, stage);
    this.#transcript.append(frame.bytes);
    const th3 = this.#transcript.hash();
    this.#keys = deriveKeys(this.#sharedSecret, th3, Label.handshake);
    this.#sas = deriveSas(th3);
    const own = this.#identity.public.key;
    const signature = this.#identity.sign(concatBytes(RESPONDER_CONTEXT, th3, own));
    const message = sealAuth(
      FrameType.ResponderAuth,
      this.#keys.responderToInitiator,
      concatBytes(own, signature),
    );
    this.#transcript.append(message);
    return message;
  }

  /** <- InitiatorAuth; the session is established. */
  readInitiatorAuth(frame: Frame): Session {
    const stage = "verifying the initiator (message 5)";
    const keys = this.#keys;
    const secret = this.#sharedSecret;
    if (!keys || !secret || !this.#sas) throw new TypeError("readReveal() first");
    expectFrame(frame, FrameType.InitiatorAuth, AUTH_PLAINTEXT_LENGTH + TAG_LENGTH, stage);
    const th4 = this.#transcript.hash();
    const peer = openAuth(frame, keys.initiatorToResponder, INITIATOR_CONTEXT, th4, stage);
    checkExpected(peer, this.#options);
    this.#transcript.append(frame.bytes);
    const th5 = this.#transcript.hash();
    const applicationKeys = deriveKeys(secret, th5, Label.application);
    secret.fill(0);
    return new Session(sessionToken, {
      role: "responder",
      peer,
      sas: this.#sas,
      keys: applicationKeys,
    });
  }
}
