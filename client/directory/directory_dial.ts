/**
 * The TCP connection to a directory, before any handshake: from any port,
 * or (hole punching, docs/protocol.md §11.2) from one a peer connection
 * can leave from too.
 *
 * @module
 */
import { connTransport, socketTransport, type Transport } from "../../crypto/mod.ts";
import { errorMessage } from "../../errors/mod.ts";
import { DirectoryUnavailableError } from "../../protocol/mod.ts";
import { anyAddressFor, connectFrom, type LocalEnd } from "./reusable_socket.ts";
import { DIRECTORY_CONNECT_TIMEOUT_MS } from "./directory_options.ts";

/** A connection to a directory, and where it leaves from. */
export type Dialed = {
  readonly raw: Transport;
  readonly local: LocalEnd & { readonly reusable: boolean };
};

/**
 * Connects to `address` (`label` in messages), from a reusable port when
 * `reusable`; fails with DirectoryUnavailableError `unreachable`.
 */
export async function dialDirectory(
  address: { hostname: string; port: number },
  label: string,
  reusable: boolean,
): Promise<Dialed> {
  try {
    if (reusable) {
      const socket = await connectFrom(address, {
        from: { address: anyAddressFor(address.hostname), port: 0 },
        timeoutMs: DIRECTORY_CONNECT_TIMEOUT_MS,
      });
      return {
        raw: socketTransport(socket),
        local: { address: socket.localAddress!, port: socket.localPort!, reusable: true },
      };
    }
    const conn = await Deno.connect({ hostname: address.hostname, port: address.port });
    return {
      raw: connTransport(conn),
      local: { address: conn.localAddr.hostname, port: conn.localAddr.port, reusable: false },
    };
  } catch (error) {
    throw new DirectoryUnavailableError(
      "unreachable",
      `Cannot reach the directory at ${label}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

/** `host:port`, with IPv6 hosts in brackets. */
export function hostPortLabel(address: { hostname: string; port: number }): string {
  const { hostname, port } = address;
  return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}
