/**
 * Hole punching (docs/protocol.md §11.2): a chat that opened through the
 * relay between two peers behind NATs tries, over the relayed chat, to open
 * a direct TCP connection by simultaneous open from each side's directory
 * port (whose NAT mapping the directory observed) to the other's, at an
 * instant agreed as libp2p's DCUtR does, and moves the chat onto it. The
 * punch is a machine ({@linkcode PunchMachine}) wired by a shell per chat
 * ({@linkcode Puncher}).
 *
 * @example
 * ```ts
 * import { PunchMachine } from "./mod.ts";
 *
 * const leader = new PunchMachine("leader", {
 *   own: () => ({ address: "203.0.113.7", port: 51234 }),
 *   mayPunch: () => true,
 * });
 * console.log(leader.handle({ type: "start", now: 0 })[0]);
 * // { type: "say", message: { type: "punch-connect", attempt: 1, address: "203.0.113.7", port: 51234 } }
 * ```
 *
 * @module
 */
export {
  type Endpoint,
  MAX_PUNCH_RTT_MS,
  PUNCH_BACKOFF_MS,
  PUNCH_NEXT_WAIT_MS,
  PUNCH_REPLY_TIMEOUT_MS,
  type PunchAction,
  type PunchEvent,
  PunchMachine,
  type PunchOutcome,
  type PunchReads,
  type PunchRole,
} from "./punch_machine.ts";
export {
  PORT_BUSY_RETRIES,
  PORT_BUSY_RETRY_MS,
  PUNCH_DIAL_TIMEOUT_MS,
  PUNCH_HANDSHAKE_TIMEOUT_MS,
  PunchAttemptError,
  type PunchDial,
  punchedChannel,
  REFUSED_RETRY_MS,
  simultaneousOpen,
} from "./punch_dial.ts";
export { PUNCH_RESUME_WAIT_MS, type PunchContext, Puncher } from "./puncher.ts";
