/**
 * The record connection (docs/protocol.md §6): protects records and carries
 * them over a transport. It seals and opens whole record frames in sequence
 * and reads and writes them; it knows nothing of messages, batching or
 * closing semantics, which the layers above own.
 *
 * @module
 */
import type { FrameReader } from "./frame.ts";
import type { Session } from "./handshake.ts";
import {
  MAX_RECORD_BODY,
  type Record,
  RecordOpener,
  RecordSealer,
  type RecordType,
} from "./record_layer.ts";
import type { Transport } from "./transport.ts";

/** A record read off the wire: opened already (small), or being opened (large, WebCrypto). */
export type IncomingRecord = { readonly record: Record | Promise<Record>; readonly large: boolean };

/** Seals, writes, reads and opens records over one transport with one session's keys. */
export class RecordConnection {
  readonly #transport: Transport;
  readonly #reader: FrameReader;
  readonly #sealer: RecordSealer;
  readonly #opener: RecordOpener;

  /** Wraps `transport` (and the frame reader that ran the handshake on it) with `session`'s keys. */
  constructor(transport: Transport, reader: FrameReader, session: Session, recordLimit?: number) {
    this.#transport = transport;
    this.#reader = reader;
    const [send, receive] = session.role === "initiator"
      ? [session.keys.initiatorToResponder, session.keys.responderToInitiator]
      : [session.keys.responderToInitiator, session.keys.initiatorToResponder];
    this.#sealer = new RecordSealer(send, recordLimit);
    this.#opener = new RecordOpener(receive);
  }

  /** Throws RecordError `nonce-exhausted` when this key may seal no more records. */
  checkCapacity(): void {
    this.#sealer.checkCapacity();
  }

  /**
   * Seals one record into a whole frame: small ones at once, large ones as a
   * promise. The sequence number is taken at the call, so frames must be
   * written in the order they were sealed.
   */
  seal(type: RecordType, plaintext: Uint8Array): Uint8Array | Promise<Uint8Array> {
    return this.#sealer.seal(type, plaintext);
  }

  /** Writes sealed frames. */
  write(bytes: Uint8Array): Promise<void> {
    return this.#transport.write(bytes);
  }

  /**
   * Reads the next record frame and starts opening it; null when the stream
   * ends between frames. Throws RecordError on any fault in the frame.
   */
  async read(): Promise<IncomingRecord | null> {
    while (true) {
      const incoming = this.poll();
      if (incoming !== undefined) return incoming;
      if (!await this.fill()) return null;
    }
  }

  /**
   * The next record if its frame has arrived whole (opening started), else
   * undefined: fill() brings more. Throws RecordError on any fault in the frame.
   */
  poll(): IncomingRecord | undefined {
    const frame = this.#reader.poll(MAX_RECORD_BODY);
    if (frame === undefined) return undefined;
    const record = this.#opener.open(frame);
    if (!(record instanceof Promise)) return { record, large: false };
    record.catch(() => {}); // Observed by whoever awaits it; never an unhandled rejection.
    return { record, large: true };
  }

  /** Reads more bytes: false at an end of stream between frames (see FrameReader.fill). */
  fill(): Promise<boolean> {
    return this.#reader.fill();
  }

  /** Closes the transport; pending reads end and writes fail. */
  close(): void {
    this.#transport.close();
  }
}
