/**
 * Hole punching (docs/protocol.md §11.2): where the directory connection
 * leaves from, against where the directory sees it come from.
 *
 * @module
 */
import type { DirectoryClient } from "./directory_client.ts";
import type { Registered } from "./directory_options.ts";
import type { LocalEnd } from "./reusable_socket.ts";

/**
 * Hole punching (docs/protocol.md §11.2): where the directory connection
 * leaves from, and where the directory sees it come from (its NAT's mapping).
 */
export type SeenFrom = {
  /** The local address and port; `reusable` when a peer connection can leave from it too. */
  readonly local: LocalEnd & { readonly reusable: boolean };
  /** Where the directory sees the connection come from. */
  readonly observed: LocalEnd;
  /** Whether a NAT sits between: the observed address or port is not the local one. */
  readonly nat: boolean;
};

/** Hole punching: what a registration says of where the client is seen from. */
export function seenFrom(
  client: DirectoryClient,
  reply: Registered,
): { client: DirectoryClient; from: SeenFrom } | undefined {
  const local = client.local;
  if (reply.observedPort === undefined || local === undefined) return undefined;
  const observed = { address: reply.address, port: reply.observedPort };
  return {
    client,
    from: {
      local,
      observed,
      nat: observed.address !== local.address || observed.port !== local.port,
    },
  };
}
