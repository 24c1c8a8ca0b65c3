/**
 * One chat's hole punch as a machine, without I/O (docs/protocol.md §11.2):
 * the Connect/Sync exchange of libp2p's DCUtR over the relayed chat, then
 * both sides dial each other's observed address at once, up to
 * PUNCH_MAX_ATTEMPTS times with a short backoff. It takes events (a
 * message heard, the timer, a dial's outcome) and returns actions (say
 * this, dial then, arm the timer, report, done); the shell (puncher.ts)
 * carries them out.
 *
 * ```
 * leader                                   follower
 * -> punch-connect {attempt, address, port}   (timer: the answer)
 *                         <- punch-connect {attempt, address, port}
 * (round trip measured)  -> punch-sync {attempt}
 * (dials after half the round trip)          (dials at once)
 * ```
 *
 * The leader is the side with the lower fingerprint: it measures, reports
 * to the directory, and runs the punched connection's handshake as
 * initiator.
 *
 * @module
 */
import type { PunchFailure } from "../core/mod.ts";
import { type PeerMessage, PUNCH_MAX_ATTEMPTS } from "../chat/mod.ts";

/** How long the leader waits for the follower's punch-connect, and the follower for punch-sync. */
export const PUNCH_REPLY_TIMEOUT_MS = 3_000;
/** The waits before attempts 2 and 3: short, so the NATs' fresh mappings are still there. */
export const PUNCH_BACKOFF_MS: readonly number[] = [250, 500];
/** The longest round trip counted: a slower relay makes the leader dial at most half this late. */
export const MAX_PUNCH_RTT_MS = 2_000;
/** How long a follower whose attempt failed waits for the leader's next one. */
export const PUNCH_NEXT_WAIT_MS = 10_000;

/** Which side of a punch: the leader measures and says when; the follower follows. */
export type PunchRole = "leader" | "follower";

/** An address and port: where a side's directory connection is seen (its NAT's mapping). */
export type Endpoint = { readonly address: string; readonly port: number };

/** How a punch ended: moved, failed after `attempts` (why the last one did), or not tried. */
export type PunchOutcome =
  | { readonly result: "success"; readonly attempts: number }
  | { readonly result: "failed"; readonly attempts: number; readonly detail: PunchFailure }
  | { readonly result: "skipped" };

/** What happens to a punch. */
export type PunchEvent =
  /** The leader begins (the chat opened through the relay). */
  | { readonly type: "start"; readonly now: number }
  /** The peer's punch-connect; `peer` absent: it will not punch now. */
  | {
    readonly type: "connect";
    readonly attempt: number;
    readonly peer?: Endpoint;
    readonly now: number;
  }
  /** The leader's punch-sync. */
  | { readonly type: "sync"; readonly attempt: number; readonly now: number }
  /** The timer the machine armed fired. */
  | { readonly type: "timer"; readonly now: number }
  /** A dial ended: the chat moved onto it, or why not. */
  | {
    readonly type: "dialed";
    readonly attempt: number;
    readonly outcome: "moved" | PunchFailure;
    readonly now: number;
  }
  /** The chat moved another way, or is ending: give up quietly. */
  | { readonly type: "stop" };

/** What the shell carries out. */
export type PunchAction =
  | { readonly type: "say"; readonly message: PeerMessage }
  /** Dial `peer` from our directory connection's port at `at` (ms). */
  | {
    readonly type: "dial";
    readonly attempt: number;
    readonly peer: Endpoint;
    readonly at: number;
  }
  /** Gives up a dial under way (a new attempt began). */
  | { readonly type: "cancel-dial" }
  /** (Re-)arms the one timer for `at`, or cancels it. */
  | { readonly type: "timer"; readonly at: number | undefined }
  /** The leader tells the directory how the punch ended (a count). */
  | { readonly type: "report"; readonly result: "success" | "failed" }
  | { readonly type: "done"; readonly outcome: PunchOutcome };

/** What the machine reads from the shell. */
export type PunchReads = {
  /** Where this side's directory connection is seen now, if it can punch from it. */
  own(): Endpoint | undefined;
  /** Whether this side punches with this peer now (not when a punch failed lately). */
  mayPunch(): boolean;
};

type Step =
  | { readonly kind: "idle" }
  /** Leader: connect sent at `sentAt`, awaiting the follower's. */
  | { readonly kind: "asking"; readonly attempt: number; readonly sentAt: number }
  /** Follower: connect answered, awaiting the sync. */
  | { readonly kind: "syncing"; readonly attempt: number; readonly peer: Endpoint }
  | { readonly kind: "dialing"; readonly attempt: number }
  /** Leader: waiting out the backoff before `attempt`. */
  | { readonly kind: "backoff"; readonly attempt: number; readonly last: PunchFailure }
  /** Follower: `attempt` failed; waiting for the leader's next. */
  | { readonly kind: "between"; readonly attempt: number; readonly last: PunchFailure }
  | { readonly kind: "done" };

/** One chat's punch. */
export class PunchMachine {
  /** Which side this is. */
  readonly role: PunchRole;
  readonly #reads: PunchReads;
  #step: Step = { kind: "idle" };
  /** The follower's last attempt heard: attempts only go up. */
  #heard = 0;

  /** A punch on the `role` side, reading the shell through `reads`. */
  constructor(role: PunchRole, reads: PunchReads) {
    this.role = role;
    this.#reads = reads;
  }

  /** Whether the punch is over. */
  get done(): boolean {
    return this.#step.kind === "done";
  }

  /** Takes `event`; returns what to do. */
  handle(event: PunchEvent): PunchAction[] {
    const step = this.#step;
    if (step.kind === "done") return [];
    if (event.type === "stop") {
      return this.#finish([{ type: "cancel-dial" }], { result: "skipped" });
    }
    return this.role === "leader" ? this.#lead(step, event) : this.#follow(step, event);
  }

  #lead(step: Step, event: Exclude<PunchEvent, { type: "stop" }>): PunchAction[] {
    switch (event.type) {
      case "start":
        return step.kind === "idle" ? this.#ask(1, event.now, undefined) : [];
      case "connect": {
        if (step.kind !== "asking" || event.attempt !== step.attempt) return [];
        const own = this.#reads.own();
        // The peer will not punch now, or sits behind our own NAT (its LAN address is the way).
        if (!event.peer || !own || event.peer.address === own.address) {
          return this.#finish([], { result: "skipped" });
        }
        const rtt = Math.min(MAX_PUNCH_RTT_MS, Math.max(0, event.now - step.sentAt));
        this.#step = { kind: "dialing", attempt: step.attempt };
        return [
          { type: "timer", at: undefined },
          { type: "say", message: { type: "punch-sync", attempt: step.attempt } },
          { type: "dial", attempt: step.attempt, peer: event.peer, at: event.now + rtt / 2 },
        ];
      }
      case "timer":
        if (step.kind === "asking") return this.#retry(step.attempt, "no-reply", event.now);
        if (step.kind === "backoff") return this.#ask(step.attempt, event.now, step.last);
        return [];
      case "dialed":
        if (step.kind !== "dialing" || event.attempt !== step.attempt) return [];
        if (event.outcome === "moved") {
          return this.#finish([{ type: "report", result: "success" }], {
            result: "success",
            attempts: step.attempt,
          });
        }
        return this.#retry(step.attempt, event.outcome, event.now);
      case "sync":
        return [];
    }
  }

  /** Leader: sends attempt `attempt`'s connect (or gives up when it can no longer punch). */
  #ask(attempt: number, now: number, last: PunchFailure | undefined): PunchAction[] {
    const own = this.#reads.own();
    if (!own) {
      return last === undefined
        ? this.#finish([], { result: "skipped" })
        : this.#fail(attempt - 1, last, true);
    }
    this.#step = { kind: "asking", attempt, sentAt: now };
    return [
      { type: "say", message: { type: "punch-connect", attempt, ...own } },
      { type: "timer", at: now + PUNCH_REPLY_TIMEOUT_MS },
    ];
  }

  /** Leader: attempt `attempt` failed with `why`: the next after a backoff, or the end. */
  #retry(attempt: number, why: PunchFailure, now: number): PunchAction[] {
    if (attempt >= PUNCH_MAX_ATTEMPTS) return this.#fail(attempt, why, true);
    this.#step = { kind: "backoff", attempt: attempt + 1, last: why };
    return [{ type: "timer", at: now + PUNCH_BACKOFF_MS[attempt - 1] }];
  }

  #follow(step: Step, event: Exclude<PunchEvent, { type: "stop" }>): PunchAction[] {
    switch (event.type) {
      case "connect": {
        // Attempts only go up, so a peer cannot make us dial more than PUNCH_MAX_ATTEMPTS times.
        if (event.attempt <= this.#heard || !event.peer) return [];
        this.#heard = event.attempt;
        const own = this.#reads.own();
        const cancel: PunchAction[] = step.kind === "dialing" ? [{ type: "cancel-dial" }] : [];
        if (!own || !this.#reads.mayPunch()) {
          const notNow: PunchAction = {
            type: "say",
            message: { type: "punch-connect", attempt: event.attempt },
          };
          return this.#finish([...cancel, notNow], { result: "skipped" });
        }
        const answer: PunchAction = {
          type: "say",
          message: { type: "punch-connect", attempt: event.attempt, ...own },
        };
        // Behind one NAT with us: answered (so the leader knows), and not punched.
        if (event.peer.address === own.address) {
          return this.#finish([...cancel, answer], { result: "skipped" });
        }
        this.#step = { kind: "syncing", attempt: event.attempt, peer: event.peer };
        return [...cancel, answer, { type: "timer", at: event.now + PUNCH_REPLY_TIMEOUT_MS }];
      }
      case "sync":
        if (step.kind !== "syncing" || event.attempt !== step.attempt) return [];
        this.#step = { kind: "dialing", attempt: step.attempt };
        return [
          { type: "timer", at: undefined },
          { type: "dial", attempt: step.attempt, peer: step.peer, at: event.now },
        ];
      case "timer":
        if (step.kind === "syncing") return this.#missed(step.attempt, "no-reply", event.now);
        if (step.kind === "between") return this.#fail(step.attempt, step.last, false);
        return [];
      case "dialed":
        if (step.kind !== "dialing" || event.attempt !== step.attempt) return [];
        if (event.outcome === "moved") {
          return this.#finish([], { result: "success", attempts: step.attempt });
        }
        return this.#missed(step.attempt, event.outcome, event.now);
      case "start":
        return [];
    }
  }

  /** Follower: attempt `attempt` failed with `why`: wait for the next, or the end. */
  #missed(attempt: number, why: PunchFailure, now: number): PunchAction[] {
    if (attempt >= PUNCH_MAX_ATTEMPTS) return this.#fail(attempt, why, false);
    this.#step = { kind: "between", attempt, last: why };
    return [{ type: "timer", at: now + PUNCH_NEXT_WAIT_MS }];
  }

  #fail(attempts: number, detail: PunchFailure, report: boolean): PunchAction[] {
    const reported: PunchAction[] = report ? [{ type: "report", result: "failed" }] : [];
    return this.#finish(reported, { result: "failed", attempts, detail });
  }

  #finish(actions: PunchAction[], outcome: PunchOutcome): PunchAction[] {
    this.#step = { kind: "done" };
    return [{ type: "timer", at: undefined }, ...actions, { type: "done", outcome }];
  }
}
