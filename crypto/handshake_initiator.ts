/**
 * The initiator's steps of the handshake (docs/protocol.md §3):
 *
 *   -> Commit         version, SHA-256(eI)
 *   <- Response       version, eR          (or Busy: retry after N ms)
 *   -> Reveal         eI
 *   <- ResponderAuth  AEAD_hs(idR, sig_R(th3 || idR))
 *   -> InitiatorAuth  AEAD_hs(idI, sig_I(th4 || idI))
 *
 * @module
 */
import { concatBytes, sha256 } from "./bytes.ts";
import { VersionMismatch } from "./errors.ts";
import { encodeFrame, type Frame, FrameType } from "./frame.ts";
import { type Identity } from "./identity.ts";
import { Transcript } from "./transcript.ts";
import { EPHEMERAL_KEY_LENGTH, EphemeralKey } from "./ecdh.ts";

import {
  agree,
  type Context,
  expectFrame,
  finish,
  type HandshakeOptions,
  INITIATOR_CONTEXT,
  internal,
  type Keyed,
  keyed,
  PROTOCOL_VERSION,
  proveSelf,
  readBusy,
  readVersion,
  RESPONDER_CONTEXT,
  Session,
  State,
  type Step,
  verifyPeer,
  VERSION_LENGTH,
  versionBytes,
} from "./handshake_state.ts";

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
