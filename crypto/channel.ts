/**
 * Opening the secure channel: runs the handshake state machines over a
 * transport, within a time bound, and hands the verified session to a
 * SecureChannel. Any fault closes the transport at once and tells the peer
 * nothing (fail closed).
 *
 * @module
 */
import {
  ChannelError,
  HandshakeError,
  HandshakeTimeout,
  RecordError,
  VersionMismatch,
} from "./errors.ts";
import { type Frame, FrameReader } from "./frame.ts";
import {
  type HandshakeOptions,
  InitiatorHandshake,
  MAX_HANDSHAKE_BODY,
  ResponderHandshake,
  type Session,
  versionReply,
} from "./handshake.ts";
import type { Identity } from "./identity.ts";
import { SecureChannel } from "./secure_channel.ts";
import type { Transport } from "./transport.ts";

/** Default bound on the whole handshake. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Options for opening a channel. */
export type ChannelOptions = HandshakeOptions & {
  /** Bound on the whole handshake, in ms (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Records per direction before the channel refuses to send (tests lower it). */
  recordLimit?: number;
};

/** Runs the initiator's handshake over `transport` and returns the open channel. */
export function initiateChannel(
  transport: Transport,
  identity: Identity,
  options: ChannelOptions = {},
): Promise<SecureChannel> {
  return runHandshake(transport, options, async (reader) => {
    const handshake = new InitiatorHandshake(identity, options);
    await transport.write(await handshake.start());
    await transport.write(
      await handshake.readResponse(await readHandshakeFrame(reader, "message 2")),
    );
    const { message, session } = await handshake.readResponderAuth(
      await readHandshakeFrame(reader, "message 4"),
    );
    await transport.write(message);
    return session;
  });
}

/** Runs the responder's handshake over `transport` and returns the open channel. */
export function acceptChannel(
  transport: Transport,
  identity: Identity,
  options: ChannelOptions = {},
): Promise<SecureChannel> {
  return runHandshake(transport, options, async (reader) => {
    const handshake = new ResponderHandshake(identity, options);
    const commit = await readHandshakeFrame(reader, "message 1");
    let response: Uint8Array;
    try {
      response = await handshake.readCommit(commit);
    } catch (error) {
      if (error instanceof VersionMismatch) await transport.write(versionReply()).catch(() => {});
      throw error;
    }
    await transport.write(response);
    await transport.write(
      await handshake.readReveal(await readHandshakeFrame(reader, "message 3")),
    );
    return await handshake.readInitiatorAuth(await readHandshakeFrame(reader, "message 5"));
  });
}

async function readHandshakeFrame(reader: FrameReader, which: string): Promise<Frame> {
  let frame: Frame | null;
  try {
    frame = await reader.read(MAX_HANDSHAKE_BODY);
  } catch (cause) {
    const detail = cause instanceof RecordError ? cause.message : "read failed";
    throw new HandshakeError("bad-message", detail, { stage: `reading ${which}`, cause });
  }
  if (frame === null) {
    throw new HandshakeError("connection-closed", "the peer closed the connection", {
      stage: `reading ${which}`,
    });
  }
  return frame;
}

async function runHandshake(
  transport: Transport,
  options: ChannelOptions,
  steps: (reader: FrameReader) => Promise<Session>,
): Promise<SecureChannel> {
  const reader = new FrameReader(transport);
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HandshakeTimeout(timeoutMs)), timeoutMs);
  });
  try {
    const session = await Promise.race([steps(reader), timeout]);
    return new SecureChannel(transport, reader, session, options.recordLimit);
  } catch (error) {
    transport.close();
    if (error instanceof ChannelError) throw error;
    // A write to a closed socket, for example: still a typed handshake failure.
    throw new HandshakeError("connection-closed", (error as Error).message ?? String(error), {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}
