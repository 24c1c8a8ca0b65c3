/**
 * How a chat whose connection failed ended, as an outcome, without I/O:
 * tampering told from a dropped connection, a peer that broke the peer
 * protocol, a peer that left what we owe it unread, and a cut after our own
 * end began (still our end).
 *
 * @module
 */
import { RecordError } from "../../crypto/mod.ts";
import { PeerProtocolError } from "../core/mod.ts";
import type { ChatState, Outcome } from "./chat_state.ts";

/** Record faults that mean someone tampered with the connection, not that it dropped. */
const TAMPERING = new Set(["tampered", "replayed", "missing", "unexpected-type", "malformed"]);

/** How a chat in `state` ended when reading its connection failed with `error`. */
export function faultOutcome(error: unknown, state: ChatState): Outcome {
  if (error instanceof PeerProtocolError) {
    return { reason: "security", by: "peer", detail: "peer-protocol" };
  }
  if (error instanceof RecordError && error.code === "slow-reader") {
    // The peer left what we owe it (acknowledgements) unread past the channel's bound.
    return { reason: "connection-lost", by: "peer", detail: "slow-reader" };
  }
  if (error instanceof RecordError && TAMPERING.has(error.code)) {
    return { reason: "security", by: "network", detail: error.code };
  }
  // Cut after our own end began: the peer hung up on our EOM, which is still our end.
  if (state.kind === "ending") return { reason: "eom", by: "you" };
  return { reason: "connection-lost", by: "network" };
}
