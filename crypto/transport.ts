/**
 * The byte pipe a channel runs over: a socket, a pair of Web streams, or a
 * relayed connection. Reads return whatever arrived; writes finish whole.
 *
 * A read takes an optional `AbortSignal` (a deadline, docs/protocol.md §8): when
 * it aborts, the read rejects with the signal's reason and the transport is
 * closed, because a pending socket read cannot be withdrawn any other way.
 *
 * @module
 */

/** Something byte chunks can be read from: a chunk per call, null at end of stream. */
export interface ByteSource {
  /** The next chunk, or null at the end; rejects with `signal.reason` once it aborts. */
  read(signal?: AbortSignal): Promise<Uint8Array | null>;
}

/** A bidirectional byte pipe. */
export interface Transport extends ByteSource {
  /** Writes all of `bytes`. */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes both directions; safe to call more than once. */
  close(): void;
}

/**
 * Smallest read buffer: what an idle connection holds while its read waits
 * (a directory holds one per online user). A heartbeat's record is ~70 bytes.
 */
export const MIN_READ_BUFFER = 256;
/** Largest read buffer, reached only while a peer keeps filling the buffer. */
export const MAX_READ_BUFFER = 128 * 1024;

/**
 * Runs `read` under `signal`: an abort closes the transport (ending the read)
 * and the read then rejects with the abort reason.
 */
async function readUnder(
  signal: AbortSignal,
  close: () => void,
  read: () => Promise<Uint8Array | null>,
): Promise<Uint8Array | null> {
  signal.throwIfAborted();
  signal.addEventListener("abort", close, { once: true });
  try {
    const chunk = await read();
    signal.throwIfAborted();
    return chunk;
  } catch (error) {
    signal.throwIfAborted();
    throw error;
  } finally {
    signal.removeEventListener("abort", close);
  }
}

/**
 * A transport over a Deno TCP connection. Reads go through `conn.read` with a
 * small buffer that grows only under bulk traffic, because reading through
 * `conn.readable` holds ~64 KiB per idle connection.
 */
export function connTransport(conn: Deno.Conn): Transport {
  try {
    (conn as Deno.TcpConn).setNoDelay?.(true);
  } catch {
    // Not a TCP socket (e.g. a Unix socket): nothing to disable.
  }
  return new ConnTransport(conn);
}

/**
 * connTransport()'s transport: a class, so that what a connection holds is
 * its fields (its methods are shared, not closures made per connection; a
 * directory holds one per online user).
 */
class ConnTransport implements Transport {
  readonly #conn: Deno.Conn;
  #size = MIN_READ_BUFFER;
  #closed = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  read(signal?: AbortSignal): Promise<Uint8Array | null> {
    return signal === undefined
      ? this.#readOnce()
      : readUnder(signal, () => this.close(), () => this.#readOnce());
  }

  async write(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await this.#conn.write(bytes.subarray(written));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the other side of our code.
    }
  }

  // A promise chain rather than an async function: an idle connection's pending read then
  // holds no suspended frame (a directory holds one per online user, renewed every heartbeat).
  #readOnce(): Promise<Uint8Array | null> {
    if (this.#closed) return Promise.resolve(null);
    const buffer = new Uint8Array(this.#size);
    let reading: Promise<number | null>;
    try {
      reading = this.#conn.read(buffer);
    } catch (error) {
      return new Promise((resolve) => resolve(this.#failed(error)));
    }
    return reading.then((n) => {
      if (n === null) return null;
      if (n === this.#size && this.#size < MAX_READ_BUFFER) this.#size *= 2;
      else if (n < MIN_READ_BUFFER && this.#size > MIN_READ_BUFFER) this.#size = MIN_READ_BUFFER;
      return n === buffer.length ? buffer : buffer.slice(0, n);
    }, (error) => this.#failed(error));
  }

  #failed(error: unknown): null {
    if (this.#closed || isConnectionReset(error)) return null;
    throw error;
  }
}

/** A transport over a pair of Web streams (in-memory pipes, relays, tests). */
export function streamTransport(
  readable: ReadableStream<Uint8Array>,
  writable: WritableStream<Uint8Array>,
): Transport {
  const reader = readable.getReader();
  const writer = writable.getWriter();
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    // Safe to drop: closing a stream that already failed or ended has nothing left to report.
    reader.cancel().catch(() => {});
    writer.close().catch(() => {});
  };
  const readOnce = async (): Promise<Uint8Array | null> => {
    if (closed) return null;
    try {
      const { value, done } = await reader.read();
      return done ? null : value;
    } catch {
      return null;
    }
  };
  return {
    read: (signal) => signal === undefined ? readOnce() : readUnder(signal, close, readOnce),
    async write(bytes: Uint8Array): Promise<void> {
      await writer.write(bytes);
    },
    close,
  };
}

/** Chunks a node:net socket transport holds unread before it pauses the socket. */
export const SOCKET_READ_AHEAD = 16;

/**
 * The part of a `node:net` Socket a transport uses (a socket whose local
 * port was chosen, which Deno.connect cannot do).
 */
export interface NodeSocket {
  /** Bytes arrived. */
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  /** The peer ended its side, or the socket closed. */
  on(event: "end" | "close", listener: () => void): unknown;
  /** The socket failed (a reset, say). */
  on(event: "error", listener: (error: Error) => void): unknown;
  /** Writes `bytes`; `done` is called once they are handed to the kernel, or with the failure. */
  write(bytes: Uint8Array, done: (error?: Error | null) => void): unknown;
  /** Stops `data` events until resume(). */
  pause(): unknown;
  /** Starts `data` events again. */
  resume(): unknown;
  /** Closes the socket both ways. */
  destroy(): unknown;
}

/**
 * A transport over a connected `node:net` socket. Arrivals are queued and
 * the socket paused past SOCKET_READ_AHEAD chunks, so a peer cannot make
 * the queue grow faster than it is read.
 */
export function socketTransport(socket: NodeSocket): Transport {
  const chunks: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  socket.on("data", (chunk) => {
    chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (chunks.length >= SOCKET_READ_AHEAD) socket.pause();
    notify();
  });
  const end = (): void => {
    ended = true;
    notify();
  };
  socket.on("end", end);
  socket.on("close", end);
  socket.on("error", end);
  const close = (): void => {
    ended = true;
    socket.destroy();
    notify();
  };
  const readOnce = async (): Promise<Uint8Array | null> => {
    while (chunks.length === 0 && !ended) await new Promise<void>((resolve) => wake = resolve);
    const chunk = chunks.shift();
    if (chunks.length < SOCKET_READ_AHEAD) socket.resume();
    return chunk ?? null;
  };
  return {
    read: (signal) => signal === undefined ? readOnce() : readUnder(signal, close, readOnce),
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        if (ended) return reject(new Error("The connection is closed"));
        socket.write(bytes, (error) => error ? reject(error) : resolve());
      }),
    close,
  };
}

/** Chunks an in-memory pipe buffers before a write waits for the reader. */
export const MEMORY_PIPE_CHUNKS = 256;

/** Two transports joined back to back in memory, for tests and local use. */
export function memoryPair(): [Transport, Transport] {
  // Buffer like a socket does, so that a write does not wait for the peer's read.
  const pipe = (): TransformStream<Uint8Array, Uint8Array> =>
    new TransformStream({}, { highWaterMark: MEMORY_PIPE_CHUNKS }, {
      highWaterMark: MEMORY_PIPE_CHUNKS,
    });
  const ab = pipe();
  const ba = pipe();
  return [streamTransport(ba.readable, ab.writable), streamTransport(ab.readable, ba.writable)];
}

function isConnectionReset(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted;
}

/** `transport`, but the first read returns `prefix` (bytes read ahead that belong to what follows). */
export function prefixedTransport(transport: Transport, prefix: Uint8Array): Transport {
  if (prefix.length === 0) return transport;
  let pending: Uint8Array | undefined = prefix;
  return {
    read(signal?: AbortSignal): Promise<Uint8Array | null> {
      if (pending) {
        const chunk = pending;
        pending = undefined;
        return Promise.resolve(chunk);
      }
      return transport.read(signal);
    },
    write: (bytes) => transport.write(bytes),
    close: () => transport.close(),
  };
}
