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
export {
  BUSY_LENGTH,
  busyReply,
  type HandshakeOptions,
  MAX_BUSY_RETRY_MS,
  MAX_HANDSHAKE_BODY,
  PROTOCOL_VERSION,
  readBusy,
  type Role,
  Session,
  State,
  type Step,
} from "./handshake_state.ts";
export {
  InitiatorAwaitingResponderAuth,
  InitiatorAwaitingResponse,
  startInitiator,
} from "./handshake_initiator.ts";
export {
  ResponderAwaitingCommit,
  ResponderAwaitingInitiatorAuth,
  ResponderAwaitingReveal,
  startResponder,
  versionReply,
} from "./handshake_responder.ts";
