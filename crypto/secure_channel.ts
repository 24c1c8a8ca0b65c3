/**
 * An established channel: messages in records, sent write-behind with small
 * messages batched, received with read-ahead during bulk transfer
 * (docs/protocol.md §6).
 *
 * @module
 */
import { SMALL_PLAINTEXT } from "./aead.ts";
import { concatBytes } from "./bytes.ts";
import { ChannelError, RecordError } from "./errors.ts";
import { type FrameReader, FrameType } from "./frame.ts";
import type { Session } from "./handshake.ts";
import type { PublicIdentity } from "./identity.ts";
import { MAX_MESSAGE, MESSAGE_PREFIX, packMessages, unpackMessages } from "./message_batch.ts";
import {
  MAX_RECORD_BODY,
  MAX_RECORD_PLAINTEXT,
  type Record,
  RecordOpener,
  RecordSealer,
} from "./record_layer.ts";
import type { Transport } from "./transport.ts";

/** Bytes of messages queued for the socket before send() waits. */
export const SEND_HIGH_WATER = 512 * 1024;
/** How long close() waits for queued records to reach a peer that does not read. */
export const CLOSE_LINGER_MS = 2_000;
/** Most bytes one socket write gathers from queued records. */
const MAX_WRITE_BATCH = 16 * 1024;
/** Records read and being decrypted ahead of receive() during bulk transfer. */
const READ_AHEAD = 8;

/** A sealed record waiting for the socket; `size` is the message bytes it carries. */
type Outgoing = { bytes?: Uint8Array; ready?: Promise<Uint8Array>; size: number };
type Incoming = Record | Promise<Record> | { end: true } | { error: Error };

/**
 * An established, mutually authenticated channel carrying messages.
 *
 * Sending is write-behind: send() resolves once the message is queued,
 * unless more than SEND_HIGH_WATER bytes wait for the socket. A message sent
 * while the socket is idle goes out at once in a record of its own; small
 * messages that queue up behind a write share the next record, and queued
 * records share a write. Large messages are sealed at once, so several
 * are in flight in WebCrypto together. Receiving
 * reads ahead during bulk transfer so that decryption overlaps. A failure
 * fails the channel; the next send() or receive() reports it.
 */
export class SecureChannel {
  /** The identity the peer proved. */
  readonly peer: PublicIdentity;
  /** The short authentication string both ends can compare aloud. */
  readonly sas: string;
  readonly #transport: Transport;
  readonly #reader: FrameReader;
  readonly #sealer: RecordSealer;
  readonly #opener: RecordOpener;
  readonly #outbox: Outgoing[] = [];
  #batch: Uint8Array[] = [];
  #batchBytes = 0;
  #queuedBytes = 0;
  #flushing: Promise<void> = Promise.resolve();
  #writing = false;
  #drained: PromiseWithResolvers<void> | undefined;
  readonly #inbox: Incoming[] = [];
  #messages: Uint8Array[] = [];
  #inboxWaiter: (() => void) | undefined;
  #pumpWaiter: (() => void) | undefined;
  #pumping = false;
  #failure: Error | undefined;
  #closing = false;
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

  /** Message bytes sent but not yet written to the socket: a peer that does not read makes this grow. */
  get bufferedAmount(): number {
    return this.#queuedBytes;
  }

  /**
   * Sends one message (at most 64 KiB). Messages reach the peer in call
   * order; the promise resolves once the message is queued for the socket.
   */
  send(message: Uint8Array): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closing) return Promise.reject(new RecordError("closed", "The channel is closed"));
    if (message.length > MAX_MESSAGE) {
      return Promise.reject(
        new RangeError(`A message carries at most ${MAX_MESSAGE} bytes, got ${message.length}`),
      );
    }
    try {
      this.#sealer.checkCapacity();
      if (message.length > SMALL_PLAINTEXT) {
        this.#sealBatch();
        this.#push(this.#sealer.seal(FrameType.Data, message), message.length);
      } else {
        if (this.#batchBytes + MESSAGE_PREFIX + message.length > MAX_RECORD_PLAINTEXT) {
          this.#sealBatch();
        }
        this.#batch.push(message);
        this.#batchBytes += MESSAGE_PREFIX + message.length;
      }
    } catch (error) {
      return Promise.reject(error);
    }
    this.#queuedBytes += message.length;
    this.#kick();
    if (this.#queuedBytes <= SEND_HIGH_WATER) return Promise.resolve();
    this.#drained ??= Promise.withResolvers<void>();
    return this.#drained.promise;
  }

  /** The next message; null once the peer closed the channel with a close record. */
  async receive(): Promise<Uint8Array | null> {
    while (true) {
      if (this.#failure) throw this.#failure;
      const message = this.#messages.shift();
      if (message !== undefined) return message;
      if (this.#peerClosed) return null;
      let head = this.#inbox.shift();
      if (head !== undefined) {
        this.#wakePump();
      } else if (this.#pumping) {
        await new Promise<void>((resolve) => this.#inboxWaiter = resolve);
        continue;
      } else {
        head = await this.#readOne();
      }
      if ("end" in head) {
        this.#fail(
          new RecordError(
            "truncated",
            "The connection ended without a close record: it was cut or truncated",
          ),
        );
        continue;
      }
      if ("error" in head) {
        this.#fail(head.error);
        continue;
      }
      try {
        const record = await head;
        if (record.type === FrameType.Close) {
          this.#peerClosed = true;
          this.#closed = true;
          this.#transport.close();
          continue;
        }
        this.#messages = record.type === FrameType.Batch
          ? unpackMessages(record.plaintext)
          : [record.plaintext];
      } catch (error) {
        this.#fail(asChannelError(error));
      }
    }
  }

  /** Every message until the peer closes the channel; fails as receive() does. */
  async *messages(): AsyncGenerator<Uint8Array> {
    for (let message = await this.receive(); message !== null; message = await this.receive()) {
      yield message;
    }
  }

  /**
   * Sends an authenticated close record after everything queued, and closes
   * the transport; waits at most CLOSE_LINGER_MS for a peer that does not read.
   */
  async close(): Promise<void> {
    if (this.#closing || this.#failure) {
      this.#closed = true;
      this.#transport.close();
      return;
    }
    this.#closing = true;
    try {
      this.#sealBatch();
      this.#push(this.#sealer.seal(FrameType.Close, new Uint8Array(0)), 0);
      this.#kick();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const linger = new Promise((resolve) => timer = setTimeout(resolve, CLOSE_LINGER_MS));
      await Promise.race([this.#flushing, linger]).finally(() => clearTimeout(timer));
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

  /** Seals the small messages gathered so far into one record, in order. */
  #sealBatch(): void {
    if (this.#batch.length === 0) return;
    const sealed = this.#batch.length === 1
      ? this.#sealer.seal(FrameType.Data, this.#batch[0])
      : this.#sealer.seal(FrameType.Batch, packMessages(this.#batch, this.#batchBytes));
    const size = this.#batchBytes - MESSAGE_PREFIX * this.#batch.length;
    this.#batch = [];
    this.#batchBytes = 0;
    this.#push(sealed, size);
  }

  #push(sealed: Uint8Array | Promise<Uint8Array>, size: number): void {
    if (sealed instanceof Uint8Array) {
      this.#outbox.push({ bytes: sealed, size });
      return;
    }
    const entry: Outgoing = { ready: sealed, size };
    sealed.then((bytes) => entry.bytes = bytes, () => {});
    this.#outbox.push(entry);
  }

  /** Starts the writer unless it runs: it then picks up what was queued. */
  #kick(): void {
    if (this.#writing) return;
    this.#writing = true;
    this.#flushing = this.#flush();
  }

  async #flush(): Promise<void> {
    try {
      while (!this.#failure) {
        if (this.#outbox.length === 0) this.#sealBatch();
        if (this.#outbox.length === 0) break;
        const head = this.#outbox[0];
        head.bytes ??= await head.ready!;
        let count = 1;
        let length = head.bytes.length;
        // Gather small records into one write; large ones go alone rather than be copied.
        while (
          count < this.#outbox.length && this.#outbox[count].bytes &&
          length + this.#outbox[count].bytes!.length <= MAX_WRITE_BATCH
        ) {
          length += this.#outbox[count].bytes!.length;
          count++;
        }
        const batch = this.#outbox.splice(0, count);
        await this.#transport.write(
          count === 1 ? head.bytes : concatBytes(...batch.map((e) => e.bytes!)),
        );
        for (const entry of batch) this.#queuedBytes -= entry.size;
        if (this.#drained && this.#queuedBytes <= SEND_HIGH_WATER / 2) {
          this.#drained.resolve();
          this.#drained = undefined;
        }
      }
    } catch (error) {
      this.#fail(
        error instanceof ChannelError ? error : new RecordError(
          "truncated",
          `The connection was lost while sending: ${describe(error)}`,
        ),
      );
    } finally {
      // Cleared in the same turn as the last emptiness check, so a send() can never
      // find the writer "running" after it has stopped looking.
      this.#writing = false;
    }
  }

  /**
   * Reads one frame and starts opening it. Small records are read only on
   * demand: in Deno, a read left pending while the same socket is written
   * adds tens of microseconds to a round trip (seen while tuning; no
   * benchmark tracks it). After a large record, the pump
   * reads ahead so that the next records decrypt in parallel.
   */
  async #readOne(): Promise<Incoming> {
    const { incoming, large } = await this.#readFrame();
    if (large) this.#pump();
    return incoming;
  }

  /** Reads up to READ_AHEAD records ahead while they stay large. */
  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (!this.#failure) {
        while (!this.#failure && this.#inbox.length >= READ_AHEAD) {
          await new Promise<void>((resolve) => this.#pumpWaiter = resolve);
        }
        if (this.#failure) return;
        const { incoming, large } = await this.#readFrame();
        this.#inbox.push(incoming);
        this.#wakeReceiver();
        if (!large) return;
      }
    } finally {
      this.#pumping = false;
      this.#wakeReceiver();
    }
  }

  async #readFrame(): Promise<{ incoming: Incoming; large: boolean }> {
    try {
      const frame = await this.#reader.read(MAX_RECORD_BODY);
      if (frame === null) return { incoming: { end: true }, large: false };
      const record = this.#opener.open(frame);
      if (!(record instanceof Promise)) return { incoming: record, large: false };
      record.catch(() => {});
      return { incoming: record, large: frame.type !== FrameType.Close };
    } catch (error) {
      return { incoming: { error: asChannelError(error) }, large: false };
    }
  }

  #wakePump(): void {
    const waiter = this.#pumpWaiter;
    this.#pumpWaiter = undefined;
    waiter?.();
  }

  #wakeReceiver(): void {
    const waiter = this.#inboxWaiter;
    this.#inboxWaiter = undefined;
    waiter?.();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#closed = true;
    this.#outbox.length = 0;
    this.#batch = [];
    this.#batchBytes = 0;
    this.#queuedBytes = 0;
    this.#drained?.reject(this.#failure);
    this.#drained?.promise.catch(() => {});
    this.#drained = undefined;
    this.#transport.close();
    this.#wakeReceiver();
    this.#wakePump();
  }
}

function asChannelError(error: unknown): Error {
  return error instanceof ChannelError ? error : new RecordError("truncated", describe(error));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error ?? "connection closed");
}
