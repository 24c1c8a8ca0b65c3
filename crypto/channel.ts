/**
 * Opening the secure channel: drives the handshake's typed steps over a
 * transport under one deadline that covers the whole handshake, and hands
 * the verified session to a SecureChannel. Any fault closes the transport at
 * once and tells the peer nothing (fail closed).
 *
 * @example
 * ```ts
 * import { acceptChannel, initiateChannel, Identity, memoryPair } from "./mod.ts";
 *
 * const [a, b] = memoryPair();
 * const bob = Identity.generate();
 * const [alice, bobSide] = await Promise.all([
 *   initiateChannel(a, Identity.generate(), { expectedPeer: bob.public.fingerprint }),
 *   acceptChannel(b, bob),
 * ]);
 * await alice.send(new TextEncoder().encode("hi"));
 * console.log(new TextDecoder().decode((await bobSide.receive())!)); // "hi"
 * ```
 *
 * @module
 */
import { Deadline } from "../async/mod.ts";
import { ChannelError, HandshakeError, HandshakeTimeout, VersionMismatch } from "./errors.ts";
import { type Frame, FrameReader } from "./frame.ts";
import {
  type HandshakeOptions,
  MAX_HANDSHAKE_BODY,
  type Session,
  startInitiator,
  startResponder,
  versionReply,
} from "./handshake.ts";
import type { UnrevealedEphemeral } from "./ecdh.ts";
import type { Identity } from "./identity.ts";
import { SecureChannel } from "./secure_channel.ts";
import type { Transport } from "./transport.ts";

/** Default bound on the whole handshake (docs/protocol.md §8). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Options for opening a channel. */
export type ChannelOptions = HandshakeOptions & {
  /** Bound on the whole handshake, in ms (default 10 s); starts when the call is made. */
  handshakeTimeoutMs?: number;
  /**
   * A deadline the caller already runs (e.g. the server's, from the first
   * byte): the handshake ends when it aborts, with its reason.
   */
  signal?: AbortSignal;
  /** Records per direction before the channel refuses to send (tests lower it). */
  recordLimit?: number;
  /**
   * Message bytes held for a peer that does not read before the channel
   * fails as `slow-reader` (default DEFAULT_MAX_BUFFERED).
   */
  maxBuffered?: number;
  /** Initiator: where an ephemeral key that was never revealed is kept for the next attempt. */
  unrevealed?: UnrevealedEphemeral;
  /**
   * Bytes already read from the transport (a server that looked at the first
   * frame before deciding): the handshake reads them before the transport.
   */
  received?: Uint8Array;
};

/** Runs the initiator's handshake over `transport` and returns the open channel. */
export function initiateChannel(
  transport: Transport,
  identity: Identity,
  options: ChannelOptions = {},
): Promise<SecureChannel> {
  return runHandshake(transport, options, async (read) => {
    const pool = options.unrevealed;
    const ephemeral = pool ? pool.take() : undefined;
    const commit = startInitiator(
      identity,
      ephemeral ? { ...options, ephemeral: () => ephemeral } : options,
    );
    await transport.write(commit.message);
    let reveal;
    try {
      reveal = commit.next.readResponse(await read("message 2"));
    } catch (error) {
      // No Reveal has left (a silent or Busy responder, or a Response we refused): our key
      // was committed to, never revealed, so the next attempt may commit to it again.
      if (ephemeral) pool!.keep(ephemeral);
      throw error;
    }
    await transport.write(reveal.message);
    const done = reveal.next.readResponderAuth(await read("message 4"));
    await transport.write(done.message);
    return done.session;
  });
}

/** Runs the responder's handshake over `transport` and returns the open channel. */
export function acceptChannel(
  transport: Transport,
  identity: Identity,
  options: ChannelOptions = {},
): Promise<SecureChannel> {
  return runHandshake(transport, options, async (read) => {
    const commit = await read("message 1");
    let response;
    try {
      response = startResponder(identity, options).readCommit(commit);
    } catch (error) {
      // Safe to drop: a courtesy to an older peer; the mismatch is what is thrown either way.
      if (error instanceof VersionMismatch) await transport.write(versionReply()).catch(() => {});
      throw error;
    }
    await transport.write(response.message);
    const auth = response.next.readReveal(await read("message 3"));
    await transport.write(auth.message);
    return auth.next.readInitiatorAuth(await read("message 5"));
  });
}

type ReadStep = (which: string) => Promise<Frame>;

async function runHandshake(
  transport: Transport,
  options: ChannelOptions,
  steps: (read: ReadStep) => Promise<Session>,
): Promise<SecureChannel> {
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  using deadline = Deadline.after(timeoutMs, () => new HandshakeTimeout(timeoutMs), options.signal);
  const { signal } = deadline;
  const reader = new FrameReader(transport, options.received);
  const read: ReadStep = async (which) => {
    let frame: Frame | null;
    try {
      frame = await reader.read(MAX_HANDSHAKE_BODY, signal);
    } catch (cause) {
      if (signal.aborted) throw signal.reason;
      const detail = cause instanceof ChannelError ? cause.message : "read failed";
      throw new HandshakeError("bad-message", detail, { stage: `reading ${which}`, cause });
    }
    if (frame === null) {
      throw new HandshakeError("connection-closed", "the peer closed the connection", {
        stage: `reading ${which}`,
      });
    }
    return frame;
  };
  // Writes are bounded too: a deadline that passes closes the transport, failing them.
  const closeOnAbort = (): void => transport.close();
  signal.addEventListener("abort", closeOnAbort, { once: true });
  try {
    const session = await steps(read);
    signal.throwIfAborted();
    return new SecureChannel(transport, reader, session, options);
  } catch (error) {
    transport.close();
    if (signal.aborted) throw signal.reason;
    if (error instanceof ChannelError) throw error;
    // A write to a closed socket, for example: still a typed handshake failure.
    throw new HandshakeError(
      "connection-closed",
      error instanceof Error ? error.message : String(error),
      { cause: error },
    );
  } finally {
    signal.removeEventListener("abort", closeOnAbort);
  }
}
