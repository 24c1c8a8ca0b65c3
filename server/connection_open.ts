/**
 * A new connection's first steps, up to its channel: the first frame, the
 * capacity gate, and the handshake, all under one deadline of
 * --handshake-timeout from the connection's start.
 *
 * @module
 */
import { readFirstFrame, RelayFrame, TOKEN_LENGTH } from "../protocol/mod.ts";
import { Deadline } from "../async/mod.ts";
import {
  acceptChannel,
  busyReply,
  ChannelError,
  HandshakeError,
  HandshakeTimeout,
  type Identity,
  MAX_HANDSHAKE_BODY,
  type SecureChannel,
  type Transport,
} from "../crypto/mod.ts";
import type { Logger, Metrics } from "./ops/mod.ts";
import type { CapacityGate } from "./capacity_gate.ts";
import { sourceBlock, type StartupRefusal } from "../admission/mod.ts";
import { MAX_PENDING_REPLY_BYTES } from "./session.ts";

/**
 * What a new connection turned out to be: a client's channel, one end of a
 * relayed chat, or a newcomer told Busy (over capacity) before any key agreement.
 */
export type Opened =
  | { readonly channel: SecureChannel }
  | { readonly relay: { readonly rest: Transport; readonly token: Uint8Array } }
  | { readonly busy: number };

/** What opening a connection uses of the server's. */
export type OpenContext = {
  readonly identity: Identity;
  readonly handshakeTimeoutMs: number;
  readonly capacity: CapacityGate;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly clock: () => number;
  /** Newcomers told Busy before their handshake, waiting for them to hang up now. */
  readonly lingering: { count: number };
};

/** How long a newcomer told Busy before its handshake may take to hang up. */
const BUSY_LINGER_MS = 1_000;
/** Newcomers told Busy by the startup limits that may linger at once (the rest are closed). */
const MAX_LINGERING = 512;

/**
 * Reads a connection's first frame, then runs the handshake. A relay Join
 * is handed back instead, to be relayed outside the count of handshakes in
 * progress. Throws a ChannelError when the client fails or times out.
 */
export async function openConnection(
  ctx: OpenContext,
  transport: Transport,
  id: number,
  address: string,
): Promise<Opened> {
  const timeoutMs = ctx.handshakeTimeoutMs;
  const started = ctx.clock();
  using deadline = Deadline.after(timeoutMs, () => new HandshakeTimeout(timeoutMs));
  let first;
  try {
    first = await readFirstFrame(transport, MAX_HANDSHAKE_BODY, deadline.signal);
  } catch (error) {
    if (error instanceof ChannelError) throw error;
    throw new HandshakeError("bad-message", "the first frame could not be read", {
      cause: error,
    });
  }
  if (first === null) {
    throw new HandshakeError("connection-closed", "the client left before its first frame");
  }
  if (first.frame.type === RelayFrame.Join && first.frame.body.length === TOKEN_LENGTH) {
    return { relay: { rest: first.rest, token: first.frame.body.slice() } };
  }
  // Over capacity: Busy before any key agreement, with a slot of its own to come back in.
  const decision = ctx.capacity.request(sourceBlock(address));
  if (!decision.admit) {
    ctx.metrics.admissions.busy++;
    ctx.log.event("busy", { session: id, address, retry_ms: decision.retryAfterMs });
    // The client reads Busy as its message 2 and hangs up: wait for that (bounded by the
    // deadline) rather than close first, which could reset the connection with Busy unread.
    await first.rest.write(busyReply(decision.retryAfterMs)).catch(() => {});
    await first.rest.read(deadline.signal).catch(() => null);
    return { busy: decision.retryAfterMs };
  }
  ctx.metrics.admissions.admitted++;
  ctx.log.event("connect", { session: id, address });
  let ok = false;
  try {
    const channel = await acceptChannel(first.rest, ctx.identity, {
      received: first.frame.bytes,
      signal: deadline.signal,
      handshakeTimeoutMs: timeoutMs,
      maxBuffered: MAX_PENDING_REPLY_BYTES,
    });
    ok = true;
    return { channel };
  } finally {
    const duration = ctx.clock() - started;
    ctx.capacity.done(duration, ok);
    if (ok) ctx.metrics.handshake(duration);
  }
}

/**
 * Busy with a slot, for a newcomer the startup limits turned away (`reason`),
 * then a short wait for it to hang up (closing first could reset the
 * connection with Busy unread): at most BUSY_LINGER_MS, reading a few bytes,
 * MAX_LINGERING at once, with no handshake slot held. Closes the transport.
 */
export async function deferEarly(
  ctx: OpenContext,
  transport: Transport,
  newcomer: { readonly id: number; readonly address: string; readonly reason: StartupRefusal },
): Promise<void> {
  const { id, address, reason } = newcomer;
  const retryMs = ctx.capacity.defer(sourceBlock(address));
  ctx.metrics.reject(reason);
  ctx.metrics.admissions.busy++;
  ctx.log.event("busy", { session: id, address, reason, retry_ms: retryMs });
  using linger = Deadline.after(BUSY_LINGER_MS, () => new Error("busy linger over"));
  // Safe to drop: either failure means the newcomer is gone, which is what is waited for.
  await transport.write(busyReply(retryMs)).catch(() => {});
  if (ctx.lingering.count >= MAX_LINGERING) return transport.close();
  ctx.lingering.count++;
  try {
    let bytes = 0;
    for (let chunk; (chunk = await transport.read(linger.signal).catch(() => null)) !== null;) {
      bytes += chunk.length;
      if (bytes > MAX_HANDSHAKE_BODY) break;
    }
  } finally {
    ctx.lingering.count--;
    transport.close();
  }
}
