/**
 * Where an open chat is in its life, as one value, and the steps between
 * states, without I/O. A chat is open until either side ends it: `ending`
 * once we said EOM (it waits, bounded, for what is on its way), `peer-ended`
 * once the peer did (it drains). `moving`: the peer said `moved` on the
 * connection the chat runs on, and this side's move has not come yet
 * (docs/protocol.md §11.1); the chat waits for it instead of ending. `over`
 * is final and says how it ended.
 *
 * ```
 * open ──peer moved──▶ moving ──migrated──▶ open
 * open|moving ──end──▶ ending        open|moving ──peer EOM──▶ peer-ended ──end──▶ ending
 * any ──finished──▶ over
 * ```
 *
 * @module
 */
import type { ClosedBy, CloseReason } from "../core/mod.ts";

/** How a chat ended. */
export type Outcome = {
  readonly reason: CloseReason;
  readonly by: ClosedBy;
  readonly detail?: string;
};

/** One chat's state. */
export type ChatState =
  | { readonly kind: "open" }
  | { readonly kind: "moving" }
  | { readonly kind: "peer-ended" }
  | { readonly kind: "ending" }
  | { readonly kind: "over"; readonly outcome: Outcome };

/** What happens to a chat. */
export type ChatStep =
  /** We end it (EOM, /quit). */
  | { readonly type: "end" }
  /** The peer said EOM. */
  | { readonly type: "peer-eom" }
  /** The peer said `moved` on the connection the chat runs on. */
  | { readonly type: "peer-moved" }
  /** The chat now runs on a new connection. */
  | { readonly type: "migrated" }
  /** The chat is over. */
  | { readonly type: "finished"; readonly outcome: Outcome };

/** The state after `step`; the same state when the step changes nothing there. */
export function nextState(state: ChatState, step: ChatStep): ChatState {
  if (state.kind === "over") return state;
  switch (step.type) {
    case "finished":
      return { kind: "over", outcome: step.outcome };
    case "end":
      return state.kind === "ending" ? state : { kind: "ending" };
    case "peer-eom":
      return state.kind === "open" || state.kind === "moving" ? { kind: "peer-ended" } : state;
    case "peer-moved":
      return state.kind === "open" ? { kind: "moving" } : state;
    case "migrated":
      return state.kind === "moving" ? { kind: "open" } : state;
  }
}

/** Whether nothing more may be sent: either side began to end the chat, or it is over. */
export function isClosing(state: ChatState): boolean {
  return state.kind === "ending" || state.kind === "peer-ended" || state.kind === "over";
}

/** Whether the chat may move to another connection now. */
export function mayMove(state: ChatState): boolean {
  return state.kind === "open" || state.kind === "moving";
}

/**
 * Who ended a chat that closed cleanly: whoever said EOM first, else whoever
 * closed the connection (`closedByUs`: our side closed it).
 */
export function endedBy(state: ChatState, closedByUs: boolean): ClosedBy {
  if (state.kind === "ending") return "you";
  if (state.kind === "peer-ended") return "peer";
  return closedByUs ? "you" : "peer";
}
