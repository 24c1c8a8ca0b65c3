/**
 * The client's side of the directory protocol: one session
 * ({@linkcode DirectoryClient}), the lasting, self-healing link the chat
 * client keeps ({@linkcode DirectoryLink}), joining the relay, the
 * reconnection backoff, and connections from a port that can dial again
 * (for hole punching, {@linkcode connectFrom}).
 *
 * @example
 * ```ts
 * import { DirectoryClient } from "./mod.ts";
 * import { Identity } from "../../crypto/mod.ts";
 *
 * const client = await DirectoryClient.connect({ hostname: "127.0.0.1", port: 7447 }, {
 *   identity: Identity.generate(),
 * });
 * await client.register("alice", 40123);
 * console.log((await client.list({ prefix: "b" })).users.map((u) => u.name));
 * await client.bye();
 * ```
 *
 * @module
 */
export {
  backoffMs,
  busyDelayMs,
  firstReconnectMs,
  MAX_BACKOFF_MS,
  MIN_BACKOFF_MS,
  RECONNECT_SPREAD_MS,
} from "./backoff.ts";
export { DirectoryClient } from "./directory_client.ts";
export { hostPortLabel } from "./directory_dial.ts";
export {
  DEFAULT_HEARTBEAT_MS,
  type DirectoryClientOptions,
  type DirectoryClosed,
} from "./directory_options.ts";
export { joinRelay, RELAY_JOIN_TIMEOUT_MS } from "./relay_client.ts";
export { MAX_METERS, RelayMeters } from "./relay_meter.ts";
export { DirectoryLink } from "./directory_link.ts";
export { connectPinned, type ServerPinning } from "./server_pin.ts";
export { IDENTIFY_TIMEOUT_MS, STARTUP_RETRY_MS } from "./directory_options.ts";
export { describeAnswer, mustBeDirectory } from "./directory_probe.ts";
// Hole punching (docs/protocol.md §11.2): the directory connection's port, dialed from again.
export { DIRECTORY_CONNECT_TIMEOUT_MS, type Registered } from "./directory_options.ts";
export type { SeenFrom } from "./seen_from.ts";
export {
  anyAddressFor,
  connectFrom,
  type ConnectFromOptions,
  type LocalEnd,
  SocketConnectError,
} from "./reusable_socket.ts";
