/**
 * The secure channel: runs the handshake over a transport, then carries
 * application messages as records. Any fault closes the transport at once
 * and tells the peer nothing (fail closed).
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
import { type Frame, FrameReader, FrameType } from "./frame.ts";
import {
  type HandshakeOptions,
  InitiatorHandshake,
  MAX_HANDSHAKE_BODY,
  ResponderHandshake,
  type Session,
  versionReply,
} from "./handshake.ts";
import type { Identity, PublicIdentity } from "./identity.ts";
import { MAX_RECORD_BODY, RecordOpener, RecordSealer } from "./record_layer.ts";
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

/** An established, mutually authenticated channel. */
export class SecureChannel {
  /** The identity the peer proved. */
  readonly peer: PublicIdentity;
  /** The short authentication string both ends can compare aloud. */
  readonly sas: string;
  readonly #transport: Transport;
  readonly #reader: FrameReader;
  readonly #sealer: RecordSealer;
  readonly #opener: RecordOpener;
  #writes: Promise<void> = Promise.resolve();
  #failure: Error | undefined;
  #closed = false;
  #peerClosed = false;

  /** @internal Channels come from initiateChannel() and acceptChannel(). */
  constructor(transport: Transport, reader: FrameReader, session: Session, recordLimit?: number) {
    this.peer = session.peer;
    this.sas = session.sas;
    this.#transport = transport;
    this.#reader = reader;
    const [send, receive] = session.role === "initiator"
      ? [session.keys.initiatorToResponder, session.keys.responderToInitiator]
      : [session.keys.responderToInitiator, session.keys.initiatorToResponder];
    this.#sealer = new RecordSealer(send, recordLimit);
    this.#opener = new RecordOpener(receive);
  }

  /** True once either side closed the channel or it failed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one message (at most 64 KiB). Several sends may be in flight;
   * they reach the peer in call order.
   */
  send(message: Uint8Array): Promise<void> {
    if (this.#closed) {
      return Promise.reject(this.#failure ?? new RecordError("closed", "The channel is closed"));
    }
    return this.#enqueue(this.#sealer.seal(FrameType.Data, message));
  }

  /** The next message; null once the peer closed the channel with a close record. */
  async receive(): Promise<Uint8Array | null> {
    if (this.#failure) throw this.#failure;
    if (this.#peerClosed) return null;
    try {
      const frame = await this.#reader.read(MAX_RECORD_BODY);
      if (frame === null) {
        throw new RecordError(
          "truncated",
          "The connection ended without a close record: it was cut or truncated",
        );
      }
      const record = await this.#opener.open(frame);
      if (record.type === FrameType.Close) {
        this.#peerClosed = true;
        this.#closed = true;
        this.#transport.close();
        return null;
      }
      return record.plaintext;
    } catch (error) {
      this.#fail(
        error instanceof ChannelError
          ? error
          : new RecordError("truncated", (error as Error).message),
      );
      throw this.#failure;
    }
  }

  /** Sends an authenticated close record (after pending sends) and closes the transport. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#enqueue(this.#sealer.seal(FrameType.Close, new Uint8Array(0)));
    } catch {
      // The peer is gone already; closing is all that is left to do.
    }
    this.#closed = true;
    this.#transport.close();
  }

  /** Drops the connection without a close record. */
  abort(): void {
    this.#fail(new RecordError("closed", "The channel was aborted"));
  }

  #enqueue(sealed: Promise<Uint8Array>): Promise<void> {
    const write = this.#writes.then(async () => {
      if (this.#failure) throw this.#failure;
      try {
        await this.#transport.write(await sealed);
      } catch (error) {
        if (error instanceof RecordError) throw error;
        this.#fail(
          new RecordError(
            "truncated",
            `The connection was lost while sending: ${(error as Error).message}`,
          ),
        );
        throw this.#failure;
      }
    });
    this.#writes = write.catch(() => {});
    return write;
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#closed = true;
    this.#transport.close();
  }
}
