/**
 * The secure channel and identities: what server/ and client/ may use.
 *
 * @module
 */
export {
  acceptChannel,
  type ChannelOptions,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  initiateChannel,
} from "./channel.ts";
export { SecureChannel } from "./secure_channel.ts";
export {
  ChannelError,
  HandshakeError,
  type HandshakeErrorCode,
  HandshakeTimeout,
  RecordError,
  type RecordErrorCode,
  UnexpectedPeerKey,
  VersionMismatch,
} from "./errors.ts";
export {
  type Fingerprint,
  fingerprintOf,
  formatFingerprint,
  parseFingerprint,
} from "./fingerprint.ts";
export { Identity, IDENTITY_FILE, PublicIdentity } from "./identity.ts";
export { MAX_HANDSHAKE_BODY, PROTOCOL_VERSION } from "./handshake.ts";
export { encodeFrame, type Frame, FrameDecoder } from "./frame.ts";
export { MAX_MESSAGE } from "./message_batch.ts";
export {
  connTransport,
  memoryPair,
  prefixedTransport,
  streamTransport,
  type Transport,
} from "./transport.ts";
export { equalBytes, fromBase64, fromHex, toBase64, toHex } from "./bytes.ts";
