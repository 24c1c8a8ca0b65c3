/**
 * The punched connection itself (docs/protocol.md §11.2): a TCP
 * simultaneous open from the port of our directory connection to the peer's
 * observed address, then the same authenticated handshake as any direct
 * chat, demanding the chat's key. The leader runs it as initiator, the
 * follower as responder; either refuses every key but the peer's.
 *
 * @module
 */
import {
  acceptChannel,
  type Fingerprint,
  type Identity,
  initiateChannel,
  type SecureChannel,
  socketTransport,
  type Transport,
  UnexpectedPeerKey,
} from "../../crypto/mod.ts";
import { delay } from "../../async/mod.ts";
import { CodedError } from "../../errors/mod.ts";
import { connectFrom, type LocalEnd, SocketConnectError } from "../directory/mod.ts";
import type { PunchFailure } from "../core/mod.ts";
import type { Endpoint, PunchRole } from "./punch_machine.ts";

/**
 * How long a punch's connect waits: longer than Linux's first SYN
 * retransmission (1 s), so a SYN the other NAT dropped because it came too
 * early gets its second chance.
 */
export const PUNCH_DIAL_TIMEOUT_MS = 1_500;
/** How long the punched connection's handshake may take. */
export const PUNCH_HANDSHAKE_TIMEOUT_MS = 3_000;

/** Opens the punched connection: a transport to `peer` leaving from `from`. */
export type PunchDial = (peer: Endpoint, from: LocalEnd, signal: AbortSignal) => Promise<Transport>;

/** A punch attempt's failure, with what the user may want to know. */
export class PunchAttemptError extends CodedError<PunchFailure> {
  /** Why the attempt failed. */
  readonly failure: PunchFailure;
  /** For `unexpected-key`: the fingerprint that answered instead of the peer's. */
  readonly got?: string;

  /** A failure of kind `failure` (and the key that answered, for `unexpected-key`). */
  constructor(failure: PunchFailure, got?: string) {
    super(failure, `The punch failed: ${failure}`);
    this.failure = failure;
    this.got = got;
  }
}

/** How often a connect whose 4-tuple is still taken (the last punched connection closing) is tried again. */
export const PORT_BUSY_RETRY_MS = 20;
/**
 * How many times, at most, in one attempt: the last connection closes in a
 * round trip or two, and EINVAL also means a route the local address cannot
 * take, which waiting does not change.
 */
export const PORT_BUSY_RETRIES = 10;
/**
 * The waits before connecting again within one attempt after a reset: the
 * other side was not ready yet (its own connect not out, or the last
 * punched connection between the same ports still closing there). At most
 * this many more SYNs per attempt.
 */
export const REFUSED_RETRY_MS: readonly number[] = [50, 100, 200, 400];

/**
 * What the kernel (through Deno's node:net) answers a connect from a port
 * whose connection to the same peer is still closing: the punch of a chat
 * opened right after the last one ended. Waited out within the attempt: the
 * peer's SYN is on its way, and ours must follow it.
 */
const PORT_BUSY = new Set(["EINVAL", "EADDRINUSE", "EADDRNOTAVAIL"]);
/** What a reset from the other side looks like. */
const RESET = new Set(["ECONNREFUSED", "ECONNRESET"]);

/**
 * The simultaneous open: connects to `peer` from `from` (address reuse, so
 * from the directory connection's own port) within PUNCH_DIAL_TIMEOUT_MS;
 * while the 4-tuple is still taken here, every PORT_BUSY_RETRY_MS (at most
 * PORT_BUSY_RETRIES times), and after a reset from there, after each of
 * REFUSED_RETRY_MS.
 */
export async function simultaneousOpen(
  peer: Endpoint,
  from: LocalEnd,
  signal: AbortSignal,
): Promise<Transport> {
  const deadline = Date.now() + PUNCH_DIAL_TIMEOUT_MS;
  let resets = 0;
  let busy = 0;
  while (true) {
    try {
      const socket = await connectFrom({ hostname: peer.address, port: peer.port }, {
        from,
        timeoutMs: Math.max(1, deadline - Date.now()),
        signal,
      });
      return socketTransport(socket);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (!(error instanceof SocketConnectError)) throw error;
      const wait = PORT_BUSY.has(error.code)
        ? (busy++ < PORT_BUSY_RETRIES ? PORT_BUSY_RETRY_MS : undefined)
        : RESET.has(error.code)
        ? REFUSED_RETRY_MS[resets++]
        : undefined;
      if (wait === undefined || Date.now() + wait >= deadline) {
        throw new PunchAttemptError(error.code === "timeout" ? "timeout" : "refused");
      }
      await delay(wait, signal);
    }
  }
}

/**
 * The handshake on a punched transport as `role` demands: initiator
 * demanding `expected` (the leader), or responder refusing any other key
 * (the follower). Throws PunchAttemptError.
 */
export async function punchedChannel(
  transport: Transport,
  role: PunchRole,
  options: { identity: Identity; expected: Fingerprint; signal: AbortSignal },
): Promise<SecureChannel> {
  const { identity, expected, signal } = options;
  let channel: SecureChannel;
  try {
    channel = role === "leader"
      ? await initiateChannel(transport, identity, {
        expectedPeer: expected,
        signal,
        handshakeTimeoutMs: PUNCH_HANDSHAKE_TIMEOUT_MS,
      })
      : await acceptChannel(transport, identity, {
        signal,
        handshakeTimeoutMs: PUNCH_HANDSHAKE_TIMEOUT_MS,
      });
  } catch (error) {
    transport.close();
    if (signal.aborted) throw signal.reason;
    if (error instanceof UnexpectedPeerKey) {
      throw new PunchAttemptError("unexpected-key", error.got.replaceAll(" ", ""));
    }
    throw new PunchAttemptError("handshake-failed");
  }
  if (channel.peer.fingerprint !== expected) {
    channel.abort();
    throw new PunchAttemptError("unexpected-key", channel.peer.fingerprint);
  }
  return channel;
}
