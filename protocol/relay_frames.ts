/**
 * The two plaintext frames that open a relay connection to the directory
 * (docs/protocol.md §11), and reading the first frame of a connection
 * without losing the bytes that follow it.
 *
 * @module
 */
import {
  encodeFrame,
  type Frame,
  FrameDecoder,
  prefixedTransport,
  type Transport,
} from "../crypto/mod.ts";

/** Frame types of the relay opening. */
export const RelayFrame = {
  /** client -> server: the one-time token (16 bytes). */
  Join: 0x30,
  /** server -> client: the other side has joined; bytes now flow end to end. */
  Ready: 0x31,
} as const;

/** Length of a relay token. */
export const TOKEN_LENGTH = 16;

/** The Join frame for `token`. */
export function joinFrame(token: Uint8Array): Uint8Array {
  return encodeFrame(RelayFrame.Join, token);
}

/** The Ready frame. */
export const READY_FRAME: Uint8Array = encodeFrame(RelayFrame.Ready, new Uint8Array(0));

/**
 * Reads one frame of at most `maxBody` bytes from `transport`; returns it with
 * a transport that replays whatever arrived after it. Null if the stream
 * ends first. Throws RecordError on an oversize length, and `signal.reason`
 * once `signal` aborts.
 */
export async function readFirstFrame(
  transport: Transport,
  maxBody: number,
  signal?: AbortSignal,
): Promise<{ frame: Frame; rest: Transport } | null> {
  const decoder = new FrameDecoder();
  while (true) {
    const frame = decoder.next(maxBody);
    if (frame) return { frame, rest: prefixedTransport(transport, decoder.takeAll()) };
    const chunk = await transport.read(signal);
    if (chunk === null) return null;
    decoder.push(chunk);
  }
}
