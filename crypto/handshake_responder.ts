/**
 * The responder's steps of the handshake (docs/protocol.md §3), and what it
 * answers instead of a Response: its version (VersionMismatch) or Busy.
 *
 *   <- Commit         version, SHA-256(eI)
 *   -> Response       version, eR
 *   <- Reveal         eI                   (checks SHA-256(eI) = commitment)
 *   -> ResponderAuth  AEAD_hs(idR, sig_R(th3 || idR))
 *   <- InitiatorAuth  AEAD_hs(idI, sig_I(th4 || idI))
 *
 * @module
 */
import { concatBytes, equalBytes, sha256 } from "./bytes.ts";
import { HandshakeError, VersionMismatch } from "./errors.ts";
import { encodeFrame, type Frame, FrameType } from "./frame.ts";
import { type Identity } from "./identity.ts";
import { Transcript } from "./transcript.ts";
import { EPHEMERAL_KEY_LENGTH, EphemeralKey } from "./ecdh.ts";

import {
  agree,
  COMMITMENT_LENGTH,
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
  readVersion,
  RESPONDER_CONTEXT,
  Session,
  State,
  type Step,
  verifyPeer,
  VERSION_LENGTH,
  versionBytes,
} from "./handshake_state.ts";

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
