/**
 * Opening a secure channel to a peer and the first words on it: the
 * initiator says who it claims to be; the responder answers accept or decline.
 *
 * @module
 */
import {
  connTransport,
  type Fingerprint,
  type Identity,
  initiateChannel,
  type SecureChannel,
} from "../crypto/mod.ts";
import { decodePeerMessage, encodePeerMessage, type PeerMessage } from "./peer_messages.ts";

/** How long the initiator waits for a TCP connection to the listed address. */
export const DIAL_TIMEOUT_MS = 3_000;
/** How long a chat request waits for the other user to accept or decline. */
export const REQUEST_TIMEOUT_MS = 120_000;
/** How long a responder waits for the initiator's hello after the handshake. */
export const HELLO_TIMEOUT_MS = 10_000;

/** A peer could not be reached or did not follow the protocol. */
export class PeerUnreachableError extends Error {
  readonly code = "peer-unreachable";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PeerUnreachableError";
  }
}

/** Connects to `address:port` within DIAL_TIMEOUT_MS. */
export async function dial(address: string, port: number): Promise<Deno.TcpConn> {
  const signal = AbortSignal.timeout(DIAL_TIMEOUT_MS);
  try {
    return await Deno.connect({ hostname: address, port, signal });
  } catch (cause) {
    throw new PeerUnreachableError(`Cannot reach ${address}:${port}: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/** Runs the handshake demanding `expected` and says hello as `ownName`. */
export async function greet(
  conn: Deno.TcpConn,
  identity: Identity,
  options: { expected: Fingerprint; ownName: string },
): Promise<SecureChannel> {
  const channel = await initiateChannel(connTransport(conn), identity, {
    expectedPeer: options.expected,
  });
  await channel.send(encodePeerMessage({ type: "hello", name: options.ownName }));
  return channel;
}

/** Reads one peer message within `ms`; throws PeerUnreachableError on timeout or close. */
export async function receiveWithin(
  channel: SecureChannel,
  ms: number,
  what: string,
): Promise<PeerMessage> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      channel.abort();
      reject(new PeerUnreachableError(`No ${what} within ${Math.round(ms / 1000)} s`));
    }, ms);
  });
  try {
    const bytes = await Promise.race([channel.receive(), timeout]);
    if (bytes === null) {
      throw new PeerUnreachableError(`The peer closed the connection before its ${what}`);
    }
    return decodePeerMessage(bytes);
  } finally {
    clearTimeout(timer);
  }
}
