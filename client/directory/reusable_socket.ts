/**
 * TCP connections from a port that can be dialed from again (hole punching,
 * docs/protocol.md §11.2). `Deno.connect` cannot choose or share its local
 * port; a `node:net` socket bound explicitly (to an address and a port, 0
 * for any) sets address reuse, so a second connection can leave from the
 * same address and port to another destination while the first is open.
 * The directory connection is made this way, so that the port its NAT
 * mapped, the one the directory observed, can dial a peer.
 *
 * @module
 */
import net from "node:net";
import { Deadline } from "../../async/mod.ts";
import { CodedError } from "../../errors/mod.ts";

/** Where a connection leaves from: a local address and port. */
export type LocalEnd = { readonly address: string; readonly port: number };

/** Why a connection from a chosen port failed: the socket's code (ECONNREFUSED, …) or `timeout`. */
export class SocketConnectError extends CodedError<string> {
  /** A failure with `code` (`timeout`, or the system's: `ECONNREFUSED`, …), worded by `message`. */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** Options for connectFrom(). */
export type ConnectFromOptions = {
  /** The local end: an address (`0.0.0.0` or `::` for any) and a port (0 for any). */
  from: LocalEnd;
  /** Gives up after this long (the kernel alone would retry a SYN for two minutes). */
  timeoutMs: number;
  /** Gives up when it aborts. */
  signal?: AbortSignal;
};

/** The wildcard address to bind for a connection to `hostname`: IPv6 for an IPv6 literal. */
export function anyAddressFor(hostname: string): string {
  return hostname.includes(":") ? "::" : "0.0.0.0";
}

/**
 * Connects to `target` from `options.from`, with address reuse: resolves
 * with the connected socket (no-delay set), or rejects with a
 * SocketConnectError (or the signal's reason) and leaves nothing open.
 */
export async function connectFrom(
  target: { hostname: string; port: number },
  options: ConnectFromOptions,
): Promise<net.Socket> {
  using deadline = Deadline.after(
    options.timeoutMs,
    () =>
      new SocketConnectError(
        "timeout",
        `No answer from ${target.hostname}:${target.port} within ${options.timeoutMs} ms`,
      ),
    options.signal,
  );
  deadline.signal.throwIfAborted();
  const socket = net.connect({
    host: target.hostname,
    port: target.port,
    localAddress: options.from.address,
    localPort: options.from.port,
  });
  const connected = Promise.withResolvers<void>();
  const abort = (): void => connected.reject(deadline.signal.reason);
  const fail = (error: Error & { code?: string }): void =>
    connected.reject(
      new SocketConnectError(error.code ?? "error", error.message, { cause: error }),
    );
  socket.once("connect", () => connected.resolve());
  socket.once("error", fail);
  deadline.signal.addEventListener("abort", abort, { once: true });
  try {
    await connected.promise;
    socket.setNoDelay(true);
    return socket;
  } catch (error) {
    socket.destroy();
    throw error;
  } finally {
    // `fail` stays: an error once connected settles nothing, and unheard it would be thrown.
    deadline.signal.removeEventListener("abort", abort);
  }
}
