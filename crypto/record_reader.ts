/**
 * The receiving side of the channel: records in order, read ahead during
 * bulk transfer (docs/protocol.md §6).
 *
 * Small records are read only when asked for: in Deno, a read left pending
 * while the same socket is written adds to a small message's round trip.
 * After a large record (opened by WebCrypto, off the main thread), up to
 * READ_AHEAD further records are read and their decryption started at once,
 * so that several decrypt in parallel while they stay large.
 *
 * @module
 */
import type { Record } from "./record_layer.ts";
import type { IncomingRecord, RecordConnection } from "./record_connection.ts";

/** Records read and being decrypted ahead of the consumer during bulk transfer. */
export const READ_AHEAD = 8;

/** A record to come: opened, being opened, or the end of the stream (null); rejects on a fault. */
type Ahead = Promise<Record | null>;

/** Yields the records of one connection in order; one consumer at a time. */
export class RecordReader {
  readonly #conn: RecordConnection;
  readonly #ahead: Ahead[] = [];
  #pumping = false;
  #stopped = false;
  #wakeReader: (() => void) | undefined;
  #wakePump: (() => void) | undefined;

  /** Reads records from `conn`. */
  constructor(conn: RecordConnection) {
    this.#conn = conn;
  }

  /**
   * The next record; null when the stream ends between records (not an
   * authenticated close: the caller decides what that means). A record that
   * has arrived and opened already comes back as it is, not as a promise
   * (records are handled without a turn of the event loop each). Throws or
   * rejects with RecordError on a fault.
   *
   * No async frame: while a connection is idle, all it holds is the promise
   * of its next chunk.
   */
  next(): Record | null | Promise<Record | null> {
    const head = this.#ahead.shift();
    if (head !== undefined) {
      this.#wake("pump");
      return head;
    }
    if (this.#pumping) {
      return new Promise<void>((resolve) => this.#wakeReader = resolve).then(() => this.next());
    }
    const incoming = this.#conn.poll();
    if (incoming === undefined) return this.#conn.fill().then((more) => more ? this.next() : null);
    if (incoming.large) this.#pump();
    return incoming.record;
  }

  /** Stops reading ahead (the channel is done). */
  stop(): void {
    this.#stopped = true;
    this.#wake("pump");
    this.#wake("reader");
  }

  /** Reads ahead while records stay large, at most READ_AHEAD of them waiting. */
  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (!this.#stopped) {
        while (!this.#stopped && this.#ahead.length >= READ_AHEAD) {
          await new Promise<void>((resolve) => this.#wakePump = resolve);
        }
        if (this.#stopped) return;
        const { ahead, large } = await this.#readAhead();
        this.#ahead.push(ahead);
        this.#wake("reader");
        if (!large) return;
      }
    } finally {
      this.#pumping = false;
      this.#wake("reader");
    }
  }

  /** One record as a promise that never rejects unobserved; never throws itself. */
  async #readAhead(): Promise<{ ahead: Ahead; large: boolean }> {
    let incoming: IncomingRecord | null;
    try {
      incoming = await this.#conn.read();
    } catch (error) {
      const failed = Promise.reject(error);
      failed.catch(() => {});
      return { ahead: failed, large: false };
    }
    if (incoming === null) return { ahead: Promise.resolve(null), large: false };
    return { ahead: Promise.resolve(incoming.record), large: incoming.large };
  }

  #wake(which: "reader" | "pump"): void {
    const waiter = which === "reader" ? this.#wakeReader : this.#wakePump;
    if (which === "reader") this.#wakeReader = undefined;
    else this.#wakePump = undefined;
    waiter?.();
  }
}
