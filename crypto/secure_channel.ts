/**
 * An established channel: messages in records, over the record connection
 * with its writer and reader (docs/protocol.md §6), and one explicit state.
 *
 * Contract:
 * - `send()` copies what it keeps: the caller may reuse its buffer as soon as
 *   the call returns. Messages reach the peer in call order.
 * - `receive()` has one caller at a time (a second concurrent call throws
 *   `TypeError`). It returns the next message, or null at a clean end: the
 *   peer's authenticated Close record, or our own `close()`/`abort()` (which
 *   end pending and later reads). A connection cut without a Close record is
 *   a `RecordError` with code `truncated`, never a clean end.
 * - `close({ drain: true })` is the half-close a conversation needs: after our
 *   Close record, a pending `receive()` goes on delivering what the peer still
 *   sends (its acknowledgements, say) until the peer's own end, and only then
 *   is the socket closed (at most DRAIN_LINGER_MS in all). Closing a socket
 *   with bytes unread makes the kernel reset the connection, and a reset
 *   throws away what was still on its way to the peer. For the same reason,
 *   when the peer's Close arrives first, what we had queued is still written
 *   (with a Close of our own) before the socket closes; only later sends fail.
 * - `state` says which end closed, or why the channel failed.
 *
 * @example
 * ```ts
 * import { acceptChannel, initiateChannel, Identity, memoryPair } from "./mod.ts";
 *
 * const [a, b] = memoryPair();
 * const [alice, bob] = await Promise.all([
 *   initiateChannel(a, Identity.generate()),
 *   acceptChannel(b, Identity.generate()),
 * ]);
 * await alice.close();
 * console.log(await bob.receive(), bob.state); // null { kind: "closed", by: "peer" }
 * ```
 *
 * @module
 */
import { abortable, Deadline } from "../async/mod.ts";
import { ChannelError, RecordError } from "./errors.ts";
import { type FrameReader, FrameType } from "./frame.ts";
import type { Session } from "./handshake.ts";
import type { PublicIdentity } from "./identity.ts";
import { unpackMessages } from "./message_batch.ts";
import { RecordConnection } from "./record_connection.ts";
import type { Record } from "./record_layer.ts";
import { RecordReader } from "./record_reader.ts";
import { RecordWriter } from "./record_writer.ts";
import type { Transport } from "./transport.ts";

/** How long close() waits for queued records to reach a peer that does not read. */
export const CLOSE_LINGER_MS = 2_000;
/**
 * How long a conversation's end may take (close with drain, or writing what
 * is owed once the peer closed): longer than CLOSE_LINGER_MS, because a busy
 * peer is still working through what came before and its answers decide
 * what is reported delivered; a dead peer is cut off after it.
 */
export const DRAIN_LINGER_MS = 5_000;

/** Where a channel is in its life. */
export type ChannelState =
  | { readonly kind: "open" }
  /**
   * close() is sending what was queued and the Close record, and with `drain`
   * reading until the peer's end (at most DRAIN_LINGER_MS).
   */
  | { readonly kind: "closing"; readonly drain: boolean }
  /** Ended cleanly: by our close() or abort(), or by the peer's Close record. */
  | { readonly kind: "closed"; readonly by: "local" | "peer" }
  /** Ended by a fault: a bad record, a cut connection, a failed write. */
  | { readonly kind: "failed"; readonly error: ChannelError };

const OPEN: ChannelState = { kind: "open" };
const CLOSED_LOCALLY: ChannelState = { kind: "closed", by: "local" };
const CLOSED_BY_PEER: ChannelState = { kind: "closed", by: "peer" };

/** An established, mutually authenticated channel carrying messages. */
export class SecureChannel {
  /** The identity the peer proved. */
  readonly peer: PublicIdentity;
  /** The short authentication string both ends can compare aloud. */
  readonly sas: string;
  readonly #conn: RecordConnection;
  readonly #writer: RecordWriter;
  readonly #reader: RecordReader;
  #state: ChannelState = OPEN;
  #messages: Uint8Array[] = [];
  #receiving = false;
  /** The close under way (ours, or writing out what we owed once the peer closed). */
  #closing: Promise<void> | undefined;
  /** Whether the channel has ended, cleanly or not. */
  #ended = false;
  /** Resolved once it has; made only when a drain waits for it (an idle channel holds none). */
  #over: PromiseWithResolvers<void> | undefined;

  /** @internal Channels come from initiateChannel() and acceptChannel(). */
  constructor(
    transport: Transport,
    reader: FrameReader,
    session: Session,
    limits: { recordLimit?: number; maxBuffered?: number } = {},
  ) {
    this.peer = session.peer;
    this.sas = session.sas;
    this.#conn = new RecordConnection(transport, reader, session, limits.recordLimit);
    this.#writer = new RecordWriter(this.#conn, (error) => this.#fail(error), limits.maxBuffered);
    this.#reader = new RecordReader(this.#conn);
  }

  /** Where the channel is in its life. */
  get state(): ChannelState {
    return this.#state;
  }

  /** True once the channel is closing, closed or failed: nothing more can be sent. */
  get closed(): boolean {
    return this.#state.kind !== "open";
  }

  /**
   * Message bytes sent but not yet written to the socket: a peer that does
   * not read makes this grow, up to the channel's bound (`maxBuffered`),
   * where the channel fails with RecordError `slow-reader`.
   */
  get bufferedAmount(): number {
    return this.#writer.bufferedAmount;
  }

  /**
   * Sends one message (at most 64 KiB). Resolves once it is queued for the
   * socket; waits while too much is queued (backpressure).
   */
  send(message: Uint8Array): Promise<void> {
    const state = this.#state;
    if (state.kind === "failed") return Promise.reject(state.error);
    if (state.kind !== "open") {
      return Promise.reject(new RecordError("closed", "The channel is closed"));
    }
    return this.#writer.send(message);
  }

  /**
   * The next message; null at a clean end (see the module comment). One
   * caller at a time. When `signal` aborts (a deadline), the channel is
   * aborted, since a pending record read cannot be withdrawn, and the call
   * rejects with the signal's reason.
   */
  receive(signal?: AbortSignal): Promise<Uint8Array | null> {
    if (signal !== undefined) return this.#receiveUnder(signal);
    // The hot path (a message of a batch already opened) costs no async frame.
    if (!this.#receiving && this.#readable && this.#messages.length > 0) {
      return Promise.resolve(this.#messages.shift()!);
    }
    return this.#receive();
  }

  async #receiveUnder(signal: AbortSignal): Promise<Uint8Array | null> {
    signal.throwIfAborted();
    const onAbort = (): void => this.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const message = await this.#receive();
      signal.throwIfAborted();
      return message;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  #receive(): Promise<Uint8Array | null> {
    if (this.#receiving) {
      return Promise.reject(new TypeError("SecureChannel.receive() has one caller at a time"));
    }
    this.#receiving = true;
    return this.#pull();
  }

  /**
   * Takes records until a message (or the end) is on hand. Records that have
   * arrived are taken at once; the only wait is for the next one to arrive,
   * and it holds no async frame (a directory holds one per idle user).
   */
  #pull(): Promise<Uint8Array | null> {
    while (true) {
      const state = this.#state;
      if (state.kind === "failed" || !this.#readable || this.#messages.length > 0) {
        this.#receiving = false;
        if (state.kind === "failed") return Promise.reject(state.error);
        return Promise.resolve(this.#readable ? this.#messages.shift()! : null);
      }
      let next;
      try {
        next = this.#reader.next();
      } catch (error) {
        this.#readFailed(error);
        continue;
      }
      if (next instanceof Promise) {
        return next.then((record) => {
          this.#take(record);
          return this.#pull();
        }, (error) => {
          this.#readFailed(error);
          return this.#pull();
        });
      }
      this.#take(next);
    }
  }

  #readFailed(error: unknown): void {
    if (this.#readable) this.#fail(asChannelError(error));
  }

  /** Applies one record read (null: the stream ended without a Close record). */
  #take(record: Record | null): void {
    if (!this.#readable) return;
    if (record === null) {
      this.#fail(
        new RecordError(
          "truncated",
          "The connection ended without a close record: it was cut or truncated",
        ),
      );
    } else if (record.type === FrameType.Close) {
      // While draining, ours went first: the peer's Close answers it.
      if (this.#state.kind === "closing") this.#end(CLOSED_LOCALLY);
      else this.#peerClosed();
    } else if (record.type === FrameType.Data) {
      this.#messages.push(record.plaintext);
    } else {
      try {
        this.#messages = unpackMessages(record.plaintext);
      } catch (error) {
        this.#fail(asChannelError(error));
      }
    }
  }

  /** Every message until a clean end; throws as receive() does. */
  async *messages(): AsyncGenerator<Uint8Array> {
    for (let message = await this.receive(); message !== null; message = await this.receive()) {
      yield message;
    }
  }

  /** Whether receive() still delivers: open, or closing with `drain`. */
  get #readable(): boolean {
    return this.#state.kind === "open" || (this.#state.kind === "closing" && this.#state.drain);
  }

  /**
   * Sends an authenticated Close record after everything queued, then closes
   * the transport; waits at most CLOSE_LINGER_MS for a peer that does not
   * read. Ends pending and later receives with null, or, with `drain`, lets a
   * pending receive() go on delivering until the peer's end (DRAIN_LINGER_MS
   * in all) and closes the transport only then. Safe to call twice.
   */
  close(options: { drain?: boolean } = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#state.kind !== "open") {
      this.#conn.close();
      return Promise.resolve();
    }
    const drain = options.drain === true;
    this.#state = { kind: "closing", drain };
    this.#closing = this.#lingerClose(drain);
    return this.#closing;
  }

  /** Drops the connection without a Close record (the peer sees `truncated`). */
  abort(): void {
    if (this.#state.kind === "open" || this.#state.kind === "closing") this.#end(CLOSED_LOCALLY);
    this.#conn.close();
  }

  async #lingerClose(drain: boolean): Promise<void> {
    using linger = Deadline.after(
      drain ? DRAIN_LINGER_MS : CLOSE_LINGER_MS,
      () => new RecordError("closed", "The peer did not take the close in time"),
    );
    try {
      await abortable(this.#writer.finish(FrameType.Close), linger.signal);
      // Draining: the socket closes once the peer has ended, so nothing is left unread (the
      // caller reads on; one that does not is cut off when the linger ends).
      if (drain) await abortable(this.#whenOver(), linger.signal);
    } catch {
      // The peer is gone or does not read: closing is all that is left to do.
    }
    if (this.#state.kind === "closing") this.#end(CLOSED_LOCALLY);
    this.#conn.close();
  }

  /**
   * The peer's Close arrived first: the channel is closed, and sends refused,
   * but what was queued before (acknowledgements, say) is still written, with
   * a Close record of our own, before the socket closes (at most
   * DRAIN_LINGER_MS): a peer that closed with drain is still reading them.
   */
  #peerClosed(): void {
    this.#state = CLOSED_BY_PEER;
    this.#markOver();
    this.#reader.stop();
    const linger = Deadline.after(DRAIN_LINGER_MS, () => new Error("linger over"));
    // A close() meanwhile waits for this instead of cutting it short.
    this.#closing = abortable(this.#writer.finish(FrameType.Close), linger.signal)
      .catch(() => {})
      .finally(() => {
        linger[Symbol.dispose]();
        this.#writer.fail(new RecordError("closed", "The channel is closed"));
        this.#conn.close();
      });
  }

  #end(state: ChannelState): void {
    this.#state = state;
    this.#markOver();
    this.#writer.fail(new RecordError("closed", "The channel is closed"));
    this.#reader.stop();
    this.#conn.close();
  }

  #whenOver(): Promise<void> {
    if (this.#ended) return Promise.resolve();
    this.#over ??= Promise.withResolvers<void>();
    return this.#over.promise;
  }

  #markOver(): void {
    this.#ended = true;
    this.#over?.resolve();
  }

  #fail(error: ChannelError): void {
    if (this.#state.kind === "failed" || this.#state.kind === "closed") return;
    // A fault while our own close is under way (the peer went first) is still our clean end.
    this.#end(this.#state.kind === "closing" ? CLOSED_LOCALLY : { kind: "failed", error });
  }
}

function asChannelError(error: unknown): ChannelError {
  return error instanceof ChannelError ? error : new RecordError(
    "truncated",
    error instanceof Error ? error.message : String(error ?? "connection closed"),
  );
}
