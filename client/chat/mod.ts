/**
 * Chats with peers: reaching a peer (direct, relayed, or both raced), the
 * peer protocol's messages, the request lifecycle, whom to admit, each open
 * chat and its delivery ledger, and moving a relayed chat to a direct path
 * (docs/protocol.md §10, §11).
 *
 * @example
 * ```ts
 * import { RequestBook } from "./mod.ts";
 * import { parseName } from "../../protocol/mod.ts";
 *
 * const book = new RequestBook<string>({
 *   maxIncoming: 16,
 *   perSource: 4,
 *   ttlMs: 120_000,
 *   sourceOf: (detail) => detail,
 * });
 * const booked = book.incoming(parseName("alice"), "192.0.2.7", Date.now());
 * console.log("request" in booked); // true: waiting for /accept or /decline
 * ```
 *
 * @module
 */
export {
  admitListed,
  admitProven,
  type KeyStatus,
  type Refusal,
  type RefusalReason,
} from "./admission.ts";
export { Chat } from "./chat.ts";
export { type GateTicket, IncomingGate, PEER_ADMISSION_MS } from "./incoming_gate.ts";
export {
  decodePeerMessage,
  encodePeerMessage,
  isDateTime,
  isRandomId,
  type PeerMessage,
  randomId,
} from "./peer_messages.ts";
export { reachPeer, receiveWithin, REQUEST_TIMEOUT_MS, say } from "./peer_link.ts";
export { PathUpgrader } from "./path_upgrade.ts";
export { type ChatRequest, RequestBook } from "./requests.ts";
