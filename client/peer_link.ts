/**
 * Opening a secure channel to a peer and the first words on it: the
 * initiator says who it claims to be; the responder answers accept or decline.
 *
 * @module
 */
import {
  connTransport,
  type Fingerprint,
  HandshakeError,
  type Identity,
  initiateChannel,
  type SecureChannel,
  type Transport,
  UnexpectedPeerKey,
} from "../crypto/mod.ts";
import { joinRelay } from "../directory/mod.ts";
import type { CheckedUser } from "./directory_check.ts";
import type { Path } from "./events.ts";
import type { RelayMode } from "./connect_options.ts";
import type { DirectoryLink } from "./directory_link.ts";
import { PeerUnreachableError } from "./errors.ts";
import { Deadline, delay } from "../async/mod.ts";
import { decodePeerMessage, encodePeerMessage, type PeerMessage } from "./peer_messages.ts";

/** How long the initiator tries the listed addresses before giving up on a direct connection. */
export const DIAL_TIMEOUT_MS = 3_000;
/** Delay between starting attempts to successive addresses ("happy eyeballs", RFC 8305 §5). */
export const DIAL_STAGGER_MS = 250;
/** How long a chat request waits for the other user to accept or decline. */
export const REQUEST_TIMEOUT_MS = 120_000;
/** How long a responder waits for the initiator's hello after the handshake. */
export const HELLO_TIMEOUT_MS = 10_000;

export { PeerUnreachableError };

/**
 * Connects to the first of `addresses` that answers on `port`, trying them in
 * parallel, each started DIAL_STAGGER_MS after the one before; gives up after
 * `timeoutMs`. The losers are closed.
 */
export async function dialAny(
  addresses: string[],
  port: number,
  timeoutMs = DIAL_TIMEOUT_MS,
): Promise<Deno.TcpConn> {
  if (addresses.length === 0) {
    throw new PeerUnreachableError("The directory lists no address for the peer");
  }
  using deadline = Deadline.after(
    timeoutMs,
    () => new PeerUnreachableError(`No answer on port ${port} within ${timeoutMs} ms`),
  );
  // Aborted once a winner is found (or time is up): the losers' waits and connects stop.
  const done = new AbortController();
  const signal = AbortSignal.any([deadline.signal, done.signal]);
  const errors: string[] = [];
  const attempt = async (address: string, i: number): Promise<Deno.TcpConn> => {
    try {
      await delay(i * DIAL_STAGGER_MS, signal);
      return await Deno.connect({ hostname: address, port, signal });
    } catch (error) {
      errors.push(`${address}: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  };
  const attempts = addresses.map(attempt);
  let winner: Deno.TcpConn | undefined;
  try {
    winner = await Promise.any(attempts);
    return winner;
  } catch {
    if (deadline.signal.aborted) throw deadline.signal.reason;
    throw new PeerUnreachableError(`Cannot reach the peer on port ${port} (${errors.join("; ")})`);
  } finally {
    done.abort();
    // A loser that connected in the same instant as the winner is closed, not leaked.
    for (const settled of await Promise.allSettled(attempts)) {
      if (settled.status === "fulfilled" && settled.value !== winner) settled.value.close();
    }
  }
}

/** Runs the handshake demanding `expected` and says hello as `ownName`. */
export async function greet(
  transport: Transport,
  identity: Identity,
  options: { expected: Fingerprint; ownName: string },
): Promise<SecureChannel> {
  const channel = await initiateChannel(transport, identity, {
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
  using deadline = Deadline.after(
    ms,
    () => new PeerUnreachableError(`No ${what} within ${Math.round(ms / 1000)} s`),
  );
  const bytes = await channel.receive(deadline.signal);
  if (bytes === null) {
    throw new PeerUnreachableError(`The peer closed the connection before its ${what}`);
  }
  return decodePeerMessage(bytes);
}

/**
 * Opens the channel to `user`: directly, trying every listed address at
 * once, and through the directory's relay if that fails (per `relay`). The
 * handshake demands the listed key on either path; a wrong key is never a
 * reason to fall back.
 */
export async function reachPeer(
  user: CheckedUser,
  options: {
    identity: Identity;
    ownName: string;
    relay: RelayMode;
    link: DirectoryLink;
    onFallback: () => void;
  },
): Promise<{ channel: SecureChannel; path: Path }> {
  const greetOver = (transport: Transport): Promise<SecureChannel> =>
    greet(transport, options.identity, { expected: user.fingerprint, ownName: options.ownName });
  if (options.relay !== "always") {
    try {
      return {
        channel: await greetOver(connTransport(await dialAny([...user.addresses], user.port))),
        path: "direct",
      };
    } catch (error) {
      const unreachable = error instanceof PeerUnreachableError ||
        (error instanceof HandshakeError && !(error instanceof UnexpectedPeerKey));
      if (options.relay === "never" || !unreachable) throw error;
    }
    options.onFallback();
  }
  const token = await options.link.relay(user.name);
  return { channel: await greetOver(await joinRelay(options.link.server, token)), path: "relay" };
}
