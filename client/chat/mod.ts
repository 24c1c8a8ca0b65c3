/**
 * Chats with peers: the chat book (open chats, requests, the current
 * conversation, as a machine), reaching a peer (direct, relayed, or both
 * raced, along the path policy), the peer protocol's messages, the request
 * lifecycle, each open chat with its one state and its delivery ledger, and
 * moving a relayed chat to a direct path (docs/protocol.md §10, §11).
 *
 * @example
 * ```ts
 * import { ChatBook } from "./mod.ts";
 * import { parseName } from "../../protocol/mod.ts";
 *
 * const book = new ChatBook<string>({
 *   self: parseName("alice"),
 *   autoAccept: false,
 *   mail: true,
 *   reads: { verified: () => false, pathOf: () => "direct" },
 * });
 * console.log(book.handle({ type: "chat", name: parseName("ALICE"), now: Date.now() }));
 * // [{ type: "fail", problem: { code: "self", problem: "self", name: "ALICE", command: "/chat" } }]
 * ```
 *
 * @module
 */
export {
  type BookAction,
  type BookEvent,
  type BookOptions,
  type BookReads,
  type BookView,
  MAX_PENDING_PER_SOURCE,
  MAX_PENDING_REQUESTS,
  type RequestInfo,
} from "./book_events.ts";
export { ChatBook } from "./chat_book.ts";
export { Chat } from "./chat.ts";
export type { ChatPeer } from "./chat_options.ts";
export { type ChatState, isClosing, type Outcome } from "./chat_state.ts";
export { type GateTicket, IncomingGate, PEER_ADMISSION_MS } from "./incoming_gate.ts";
export {
  type DeclineReason,
  decodePeerMessage,
  encodePeerMessage,
  type GossipCheckpoint,
  isDateTime,
  isRandomId,
  type PeerMessage,
  randomId,
} from "./peer_messages.ts";
export { dialDirect, type Reached, reachPeer, receiveWithin, say } from "./peer_link.ts";
// Hole punching (docs/protocol.md §11.2).
export { myMoveWins } from "./peer_link.ts";
export { isPunchAddress, PUNCH_MAX_ATTEMPTS } from "./peer_messages.ts";
export { PUNCH_FAILURE_MEMORY_MS, PUNCH_REUSE_GRACE_MS } from "./path_policy.ts";
export { behindNat, DIRECT_FAILURE_MEMORY_MS, type PathPlan, PathPolicy } from "./path_policy.ts";
export { PathUpgrader } from "./path_upgrade.ts";
export { type ChatRequest, REQUEST_TIMEOUT_MS, RequestBook } from "./requests.ts";
