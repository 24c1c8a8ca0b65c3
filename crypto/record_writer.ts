/**
 * The sending side of the channel: a coalescing writer with backpressure
 * (docs/protocol.md §6).
 *
 * A message sent while nothing is being written is sealed and written at
 * once in a record of its own. Small messages that arrive while a write is in
 * flight are gathered into one Batch record, and queued small records share
 * one socket write. Large messages are sealed at once, so several are in
 * flight in WebCrypto together. send() resolves when the message is queued,
 * unless more than SEND_HIGH_WATER bytes wait for the socket: then it
 * resolves once half of them have been written.
 *
 * What a caller does not wait for is still bounded: past `maxBuffered` bytes
 * waiting (a peer that never reads, while we answer what it sends), the
 * writer fails with RecordError `slow-reader` and the channel is dropped, so
 * a peer can never make us hold more than that for it.
 *
 * @module
 */
import { SMALL_PLAINTEXT } from "./aead.ts";
import { concatBytes } from "./bytes.ts";
import { ChannelError, RecordError } from "./errors.ts";
import { FrameType } from "./frame.ts";
import { BatchBuilder, MAX_MESSAGE } from "./message_batch.ts";
import type { RecordConnection } from "./record_connection.ts";

/** Bytes of messages queued for the socket before send() waits. */
export const SEND_HIGH_WATER = 512 * 1024;
/** Most bytes one socket write gathers from queued records. */
export const MAX_WRITE_BATCH = 16 * 1024;
/**
 * Bytes of messages a channel holds for a peer before dropping it as a slow
 * reader (docs/protocol.md §8): four times SEND_HIGH_WATER, so a sender that
 * waits on send() never comes near it.
 */
export const DEFAULT_MAX_BUFFERED = 4 * SEND_HIGH_WATER;

/** A sealed record waiting for the socket; `size` counts the message bytes it carries. */
type Outgoing = { bytes?: Uint8Array; ready?: Promise<Uint8Array>; size: number };

/** Seals and writes messages in order; see the module comment. */
export class RecordWriter {
  readonly #conn: RecordConnection;
  readonly #onFailure: (error: ChannelError) => void;
  readonly #maxBuffered: number;
  readonly #outbox: Outgoing[] = [];
  #batch = new BatchBuilder();
  #queuedBytes = 0;
  #running = false;
  #loop: Promise<void> = Promise.resolve();
  #drained: PromiseWithResolvers<void> | undefined;
  #failure: Error | undefined;

  /**
   * Writes through `conn`; a failed write, or a peer past `maxBuffered`
   * bytes (at least MAX_MESSAGE), is reported once to `onFailure`.
   */
  constructor(
    conn: RecordConnection,
    onFailure: (error: ChannelError) => void,
    maxBuffered = DEFAULT_MAX_BUFFERED,
  ) {
    if (!(maxBuffered >= MAX_MESSAGE)) {
      throw new RangeError(`A channel must be able to hold one message: ${maxBuffered} bytes`);
    }
    this.#conn = conn;
    this.#onFailure = onFailure;
    this.#maxBuffered = maxBuffered;
  }

  /** Message bytes queued but not yet written: a peer that does not read makes this grow. */
  get bufferedAmount(): number {
    return this.#queuedBytes;
  }

  /**
   * Queues `message` (at most MAX_MESSAGE bytes) after every message before
   * it. The writer takes a copy where it keeps the message beyond this call,
   * so the caller may reuse its buffer at once.
   */
  send(message: Uint8Array): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (message.length > MAX_MESSAGE) {
      return Promise.reject(
        new RangeError(`A message carries at most ${MAX_MESSAGE} bytes, got ${message.length}`),
      );
    }
    if (this.#queuedBytes + message.length > this.#maxBuffered) {
      const failure = new RecordError(
        "slow-reader",
        `The peer left ${this.#queuedBytes} bytes unread; it was dropped as a slow reader`,
      );
      this.fail(failure);
      this.#onFailure(failure);
      return Promise.reject(failure);
    }
    try {
      this.#conn.checkCapacity();
      if (message.length > SMALL_PLAINTEXT) {
        // Sealed off the main thread, after this call returns: seal a copy.
        this.#sealBatch();
        this.#push(this.#conn.seal(FrameType.Data, message.slice()), message.length);
      } else if (!this.#running && this.#batch.count === 0) {
        // Nothing in flight: seal now (synchronously, from the caller's buffer) and write.
        this.#push(this.#conn.seal(FrameType.Data, message), message.length);
      } else {
        if (!this.#batch.fits(message)) this.#sealBatch();
        this.#batch.add(message);
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

  /**
   * Seals whatever is gathered and then a final `type` record (the channel's
   * Close), and resolves once everything queued has been written.
   */
  async finish(type: typeof FrameType.Close): Promise<void> {
    if (this.#failure) throw this.#failure;
    this.#sealBatch();
    this.#push(this.#conn.seal(type, new Uint8Array(0)), 0);
    this.#kick();
    while (this.#running) await this.#loop;
    if (this.#failure) throw this.#failure;
  }

  /** Drops everything queued; waiting senders reject with `error`. */
  fail(error: Error): void {
    this.#failure ??= error;
    this.#outbox.length = 0;
    this.#batch = new BatchBuilder();
    this.#queuedBytes = 0;
    const drained = this.#drained;
    this.#drained = undefined;
    // Marked handled: a drain nobody waits on must not become an unhandled rejection; whoever
    // waits still gets the failure.
    drained?.promise.catch(() => {});
    drained?.reject(this.#failure);
  }

  /** Seals the small messages gathered so far into one record, in order. */
  #sealBatch(): void {
    const packed = this.#batch.take();
    if (!packed) return;
    const type = packed.batch ? FrameType.Batch : FrameType.Data;
    this.#push(this.#conn.seal(type, packed.plaintext), packed.messageBytes);
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

  /** Starts the write loop unless it runs: it then picks up what was queued. */
  #kick(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#writeLoop();
  }

  async #writeLoop(): Promise<void> {
    try {
      while (!this.#failure) {
        if (this.#outbox.length === 0) this.#sealBatch();
        if (this.#outbox.length === 0) break;
        const head = this.#outbox[0];
        head.bytes ??= await head.ready!;
        if (this.#failure) break;
        let count = 1;
        let length = head.bytes.length;
        // Gather small sealed records into one write; large ones go alone rather than be copied.
        while (
          count < this.#outbox.length && this.#outbox[count].bytes !== undefined &&
          length + this.#outbox[count].bytes!.length <= MAX_WRITE_BATCH
        ) {
          length += this.#outbox[count].bytes!.length;
          count++;
        }
        const batch = this.#outbox.splice(0, count);
        await this.#conn.write(
          count === 1 ? head.bytes : concatBytes(...batch.map((entry) => entry.bytes!)),
        );
        for (const entry of batch) this.#queuedBytes -= entry.size;
        if (this.#drained && this.#queuedBytes <= SEND_HIGH_WATER / 2) {
          this.#drained.resolve();
          this.#drained = undefined;
        }
      }
    } catch (error) {
      const failure = error instanceof ChannelError ? error : new RecordError(
        "truncated",
        `The connection was lost while sending: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
      this.fail(failure);
      this.#onFailure(failure);
    } finally {
      // Cleared in the same turn as the last emptiness check, so a send() can never
      // find the loop "running" after it has stopped looking.
      this.#running = false;
    }
  }
}
