/**
 * The secure channel and identities: what the other folders may use.
 *
 * A channel is opened with {@linkcode initiateChannel} or
 * {@linkcode acceptChannel} over any {@linkcode Transport} (a TCP connection
 * through {@linkcode connTransport}, a relayed connection, an in-memory pair),
 * runs the SIGMA-I handshake of docs/protocol.md §3 and carries messages in
 * AES-256-GCM records (§6).
 *
 * @example
 * ```ts
 * import { acceptChannel, Identity, initiateChannel, memoryPair } from "./mod.ts";
 *
 * const [a, b] = memoryPair();
 * const bob = Identity.generate();
 * const [alice, bobSide] = await Promise.all([
 *   initiateChannel(a, Identity.generate(), { expectedPeer: bob.public.fingerprint }),
 *   acceptChannel(b, bob),
 * ]);
 * console.log(alice.sas === bobSide.sas); // true: nobody is in the middle
 * await alice.close();
 * ```
 *
 * @module
 */
export {
  acceptChannel,
  type ChannelOptions,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  initiateChannel,
} from "./channel.ts";
export {
  type ChannelState,
  CLOSE_LINGER_MS,
  DRAIN_LINGER_MS,
  SecureChannel,
} from "./secure_channel.ts";
export { CodedError } from "../errors/mod.ts";
export { EphemeralKey, UnrevealedEphemeral } from "./ecdh.ts";
export {
  ChannelError,
  type ChannelErrorCode,
  HandshakeError,
  type HandshakeErrorCode,
  HandshakeTimeout,
  MailError,
  type MailErrorCode,
  PeerBusy,
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
export { Identity, type PrivateJwk, PublicIdentity } from "./identity.ts";
export {
  BUSY_LENGTH,
  busyReply,
  type HandshakeOptions,
  MAX_BUSY_RETRY_MS,
  MAX_HANDSHAKE_BODY,
  PROTOCOL_VERSION,
  readBusy,
  startInitiator,
  startResponder,
} from "./handshake.ts";
export {
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameReader,
  FrameType,
  HEADER_LENGTH,
} from "./frame.ts";
export { MAX_MESSAGE } from "./message_batch.ts";
export { DEFAULT_MAX_BUFFERED, SEND_HIGH_WATER } from "./record_writer.ts";
export {
  type ByteSource,
  connTransport,
  memoryPair,
  type NodeSocket,
  prefixedTransport,
  socketTransport,
  streamTransport,
  type Transport,
} from "./transport.ts";
export {
  concatBytes,
  equalBytes,
  fromBase64,
  fromHex,
  sha256,
  toBase64,
  toHex,
  utf8,
} from "./bytes.ts";
export {
  mailParties,
  mailSender,
  type OpenedMail,
  openMail,
  Prekey,
  sealMail,
  type SignedPrekey,
  verifyPrekey,
} from "./sealed_mail.ts";
export { hkdf } from "./hkdf.ts";
export { Label } from "./key_schedule.ts";
export { RecordSealer } from "./record_layer.ts";
