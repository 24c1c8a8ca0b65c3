/**
 * The directory's relay (docs/protocol.md §11): offers tokens to two peers
 * that cannot reach each other, joins their connections, and copies bytes
 * it cannot read, within its bounds.
 *
 * @example
 * ```ts
 * import { RelayBroker } from "./mod.ts";
 * import { Logger } from "../ops/mod.ts";
 *
 * const broker = new RelayBroker(
 *   { enabled: true, maxSessions: 1000, maxPerClient: 4, maxBytes: 64 << 20, tokenTtlMs: 30_000 },
 *   new Logger("text", { write: () => {} }),
 *   Date.now,
 * );
 * console.log(typeof broker.offer); // "function"
 * ```
 *
 * @module
 */
export { RelayBroker, type RelayLimits } from "./relay.ts";
