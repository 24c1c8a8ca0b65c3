/**
 * The files' desks (the receiver's parts, the sender's sources) as the
 * transfers use them (docs/protocol.md §14.3): on a machine with
 * WORKER_MIN_CORES cores or more, requests go to a worker of their own
 * (part_worker.ts), so that writing, reading and hashing take another core,
 * not the thread that reads the chats and seals; with fewer, or where no
 * worker can be started (a binary built without it), the desks run in this
 * thread. Either way requests are
 * carried out in order. Pieces are handed over without a copy when their
 * buffer is theirs alone, and at most WRITE_AHEAD bytes wait to be written.
 *
 * @module
 */
import { type DeskReply, type DeskRequest, PartDesk } from "./part_desk.ts";
import { SourceDesk, type SourceReply, type SourceRequest } from "./source_desk.ts";
import { FRAME_HEADER } from "./file_messages.ts";

/** Bytes handed to the desk and not written yet, at most; more waits. */
export const WRITE_AHEAD = 4 * 1024 * 1024;
/**
 * Cores a machine needs before the desk gets a worker of its own: on two,
 * the worker only takes turns with the threads that seal and open records
 * (and with the peer, on one machine), and costs a heap of its own
 * (measured: bench-files, README); from four on, the disk work runs beside them.
 */
export const WORKER_MIN_CORES = 4;
/** How long a new worker may take to say it is ready before the desk runs in this thread. */
const WORKER_START_MS = 5_000;

/** Any request to either desk. */
export type AnyRequest = DeskRequest | SourceRequest;
/** Any reply of either desk. */
export type AnyReply = DeskReply | SourceReply;
/** A request to either desk without its number (the client numbers them). */
export type Ask = AnyRequest extends infer R ? R extends { q: number } ? Omit<R, "q"> : never
  : never;
/** The reply to a request `A`: the source desk's for its ops, else the part desk's. */
export type ReplyTo<A> = A extends { op: `source-${string}` } ? SourceReply : DeskReply;

/** The client of one part desk. */
export class DeskClient {
  /** The worker's script, or false for none (the desk runs in this thread). */
  readonly #script: URL | false;
  readonly #pending = new Map<number, (reply: AnyReply) => void>();
  #q = 0;
  #worker: Worker | undefined;
  #inline: { parts: PartDesk; sources: SourceDesk } | undefined;
  #inlineQueue: Promise<void> = Promise.resolve();
  /** Resolves once it is known where the desk runs. */
  #ready: Promise<void> | undefined;
  #unwritten = 0;
  #roomWaiters: (() => void)[] = [];
  /** Resolved when nothing asked is pending (what stop() waits for). */
  #idle: PromiseWithResolvers<void> | undefined;

  /**
   * A desk in the worker `script` (part_worker.ts unless given; false: in
   * this thread, as on a machine with fewer than WORKER_MIN_CORES cores).
   */
  constructor(script?: URL | false) {
    this.#script = script ??
      (navigator.hardwareConcurrency >= WORKER_MIN_CORES &&
        new URL("./part_worker.ts", import.meta.url));
  }

  /** Whether the desk runs in a worker (false until it started, or when it could not). */
  get inWorker(): boolean {
    return this.#worker !== undefined && this.#inline === undefined;
  }

  /** Asks the desk; resolves with its reply (a failure is a `failed` reply). */
  async ask<A extends Ask>(request: A): Promise<ReplyTo<A>> {
    await this.#start();
    const q = ++this.#q;
    const reply = new Promise<AnyReply>((resolve) => this.#pending.set(q, resolve));
    this.#post({ ...request, q } as AnyRequest);
    return await reply as ReplyTo<A>;
  }

  /**
   * Hands a piece over to be written; `queued` resolves once there is room
   * for it (at most WRITE_AHEAD unwritten), `written` once it is on its way
   * to disk (or failed).
   */
  write(
    request: { t: number; position: number; index: number; start: number; data: Uint8Array },
  ): { queued: Promise<void>; written: Promise<DeskReply> } {
    const size = request.data.length;
    this.#unwritten += size;
    const written = this.ask({ op: "write" as const, ...request }).finally(() => {
      this.#unwritten -= size;
      if (this.#unwritten <= WRITE_AHEAD) {
        for (const wake of this.#roomWaiters.splice(0)) wake();
      }
    });
    const queued = this.#unwritten <= WRITE_AHEAD
      ? Promise.resolve()
      : new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
    return { queued, written };
  }

  /** Stops the worker, once what was asked is done. */
  async stop(): Promise<void> {
    if (this.#pending.size > 0) {
      this.#idle ??= Promise.withResolvers<void>();
      await this.#idle.promise;
    }
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#ready = undefined;
  }

  #post(request: AnyRequest): void {
    if (this.#inline) {
      const { parts, sources } = this.#inline;
      this.#inlineQueue = this.#inlineQueue.then(async () =>
        this.#reply(
          request.op.startsWith("source-")
            ? await sources.handle(request as SourceRequest)
            : await parts.handle(request as DeskRequest),
        )
      );
      return;
    }
    if (request.op === "source-read" && request.into) {
      // The buffer goes to the worker to be read into, and comes back with the range.
      this.#worker!.postMessage(request, [request.into.buffer as ArrayBuffer]);
      return;
    }
    if (request.op === "write") {
      // Handed over without a copy when the buffer is the piece's alone (a record's plaintext).
      const { data } = request;
      const own = data.byteOffset === FRAME_HEADER &&
        data.buffer.byteLength === FRAME_HEADER + data.length && data.buffer instanceof ArrayBuffer;
      const piece = own ? data : data.slice();
      this.#worker!.postMessage({ ...request, data: piece }, [piece.buffer as ArrayBuffer]);
      return;
    }
    this.#worker!.postMessage(request);
  }

  #reply(reply: AnyReply): void {
    const resolve = this.#pending.get(reply.q);
    this.#pending.delete(reply.q);
    resolve?.(reply);
    if (this.#pending.size === 0) {
      this.#idle?.resolve();
      this.#idle = undefined;
    }
  }

  /** Starts the worker once; falls back to this thread when it cannot. */
  #start(): Promise<void> {
    this.#ready ??= new Promise<void>((resolve) => {
      const inline = (): void => {
        this.#worker?.terminate();
        this.#inline ??= { parts: new PartDesk(), sources: new SourceDesk() };
        resolve();
      };
      if (this.#script === false) return inline();
      let worker: Worker;
      try {
        worker = new Worker(this.#script, { type: "module" });
      } catch {
        return inline();
      }
      const timer = setTimeout(inline, WORKER_START_MS);
      worker.onmessage = (event: MessageEvent<AnyReply | { op: "ready" }>) => {
        if (event.data.op === "ready") {
          clearTimeout(timer);
          this.#worker = worker;
          return resolve();
        }
        this.#reply(event.data);
      };
      worker.onerror = (event) => {
        event.preventDefault();
        clearTimeout(timer);
        // Requests the worker had are lost with it: they fail, and the desk goes on here.
        for (const q of [...this.#pending.keys()]) {
          this.#reply({
            op: "failed",
            t: -1,
            q,
            kind: "failed",
            message: "the file worker stopped",
          });
        }
        inline();
      };
    });
    return this.#ready;
  }
}
