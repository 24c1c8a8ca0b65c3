/**
 * Admission by capacity (docs/protocol.md §9.5, docs/operations.md): how
 * many handshakes the directory runs at once is bounded by what it can
 * finish well within `--handshake-timeout`, learnt from its own recent
 * handshakes and its event loop's lag, and the excess is refused before any
 * key agreement with a Busy frame that says when to come back. No CPU is
 * spent on a handshake that would time out, so past its capacity the
 * directory keeps serving at its capacity instead of collapsing.
 *
 * - The limit on handshakes in progress moves as TCP's window does. From
 *   the start it grows by one for each handshake that finished within
 *   TARGET_SHARE of the timeout while the loop kept up (slow start: a
 *   fresh directory takes a burst at once, doubling each round). At the
 *   first sign of overload (a handshake took longer, or the loop lagged
 *   past LAG_HIGH_MS) it halves, and from then on moves as AIMD: up by one
 *   for each `limit` good handshakes, down by a tenth (at most once per
 *   DECREASE_EVERY_MS) at each sign. It stays in [minLimit, maxLimit].
 * - A refused newcomer is given a slot of its own: the waits handed out run
 *   one completion apart at the measured rate, so a crowd that comes back
 *   when told arrives at the rate the directory finishes handshakes (a
 *   restart storm settles), not all at once. Waits are bounded by
 *   SLOT_HORIZON_MS (under MAX_BUSY_RETRY_MS, the most a client honours).
 *
 * No I/O and no timers: the clock is passed in, so tests are exact.
 *
 * @module
 */

/** The limit never goes below this. */
export const DEFAULT_MIN_HANDSHAKES = 16;
/**
 * The limit a fresh gate starts at: a burst this size is taken at once
 * (each handshake is about 2 ms of CPU, far inside a quarter of the timeout).
 */
export const INITIAL_HANDSHAKES = 64;
/** The most handshakes in progress by default (`serve --max-handshakes`). */
export const DEFAULT_MAX_HANDSHAKES = 1024;
/** Share of the handshake timeout an admitted handshake should finish within. */
export const TARGET_SHARE = 0.25;
/** Event-loop lag above which the directory takes on no more work. */
export const LAG_HIGH_MS = 200;
/** The shortest limit cut apart: the limit falls by a tenth at most this often. */
export const DECREASE_EVERY_MS = 250;
/**
 * The longest wait a Busy answer gives (below MAX_BUSY_RETRY_MS, which a
 * client honours at most): beyond it a newcomer is sent into its second
 * half at random, to be given a slot anew when it comes back.
 */
export const SLOT_HORIZON_MS = 20_000;
/** The shortest wait a Busy answer gives. */
export const MIN_RETRY_MS = 250;
/**
 * Completions per second assumed before any were measured: high on purpose.
 * A slot given too early costs the client one more Busy answer (cheap); one
 * given too late leaves the directory idle while clients wait (goodput lost).
 */
const INITIAL_RATE = 500;
/** A handshake in progress this many times as long as they typically take means a stall. */
const STALL_FACTOR = 4;
/** Weight of the newest handshake in the typical duration's moving average. */
const TYPICAL_WEIGHT = 0.05;
/** Weight of the newest second in the rate's moving average. */
const RATE_WEIGHT = 0.5;
/**
 * Slots are handed out this much faster than the measured rate, for the
 * same reason: the directory stays saturated, and the few who come back
 * early are told again.
 */
const SLOT_OPTIMISM = 1.2;

/** How the gate is set. */
export type CapacityOptions = {
  /** `--handshake-timeout`, ms. */
  readonly handshakeTimeoutMs: number;
  /** The limit never goes below this. */
  readonly minLimit?: number;
  /** The limit a fresh gate starts at (INITIAL_HANDSHAKES, within [minLimit, maxLimit]). */
  readonly initialLimit?: number;
  /** The most handshakes in progress, however fast they finish. */
  readonly maxLimit?: number;
  /** ms now; injected so tests are deterministic. */
  readonly clock: () => number;
  /** Draws where past the horizon a newcomer is sent (tests fix it). */
  readonly random?: () => number;
};

/** What the gate says to a newcomer. */
export type CapacityDecision = { readonly admit: true } | {
  readonly admit: false;
  /** How long to wait before trying again (ms). */
  readonly retryAfterMs: number;
};

/** Counts handshakes in progress against a limit learnt from how they go. */
export class CapacityGate {
  readonly #o: Required<CapacityOptions>;
  #limit: number;
  #inProgress = 0;
  #lagMs = 0;
  #lastDecrease = -Infinity;
  /** Until the first sign of overload, the limit grows by one per good handshake. */
  #slowStart = true;
  /** Completions per second, a moving average over whole seconds. */
  #rate = INITIAL_RATE;
  /** How long a handshake typically takes (ms), a moving average of those that finished. */
  #typicalMs = MIN_RETRY_MS / STALL_FACTOR;
  /** When the handshakes in progress started, oldest first (ends are taken as in order). */
  readonly #starts: number[] = [];
  #second = -1;
  #thisSecond = 0;
  /** Whether anyone was refused this second: then its completions measure capacity, not demand. */
  #saturated = false;
  /** Whether the loop lagged or a handshake was slow this second: then it measured a stall. */
  #stalled = false;
  /** When the last slot handed out falls (ms): each refusal's comes one completion later. */
  #nextSlot = -Infinity;

  /** A gate for handshakes bounded by `options.handshakeTimeoutMs`. */
  constructor(options: CapacityOptions) {
    const minLimit = options.minLimit ?? DEFAULT_MIN_HANDSHAKES;
    const maxLimit = options.maxLimit ?? DEFAULT_MAX_HANDSHAKES;
    if (!(minLimit >= 1 && maxLimit >= minLimit)) {
      throw new RangeError("A capacity gate needs 1 <= minLimit <= maxLimit");
    }
    this.#o = {
      ...options,
      minLimit,
      maxLimit,
      initialLimit: options.initialLimit ?? 0,
      random: options.random ?? Math.random,
    };
    this.#limit = Math.min(
      maxLimit,
      Math.max(minLimit, options.initialLimit ?? INITIAL_HANDSHAKES),
    );
  }

  /** Handshakes in progress now. */
  get inProgress(): number {
    return this.#inProgress;
  }

  /** How many may be in progress now. */
  get limit(): number {
    return Math.floor(this.#limit);
  }

  /** Completions per second, as measured. */
  get rate(): number {
    return this.#rate;
  }

  /** A newcomer wants to start a handshake: admit it (counting it) or say when to come back. */
  request(): CapacityDecision {
    const now = this.#o.clock();
    this.#roll(now);
    if (this.#inProgress < this.limit && this.#lagMs < LAG_HIGH_MS) {
      this.#inProgress++;
      this.#starts.push(now);
      return { admit: true };
    }
    return { admit: false, retryAfterMs: this.#slot(now) };
  }

  /**
   * A slot for a newcomer turned away before it asked (too many connections
   * starting at once): how long until it should come back, in the same
   * schedule as those refused here.
   */
  defer(): number {
    const now = this.#o.clock();
    this.#roll(now);
    return this.#slot(now);
  }

  /** The next slot's wait (ms): refusals are given slots one completion apart. */
  #slot(now: number): number {
    this.#saturated = true;
    const interval = 1000 / Math.max(1, this.#rate * SLOT_OPTIMISM);
    // The first refusal waits for the handshakes in progress; each next one a completion later.
    const earliest = now + Math.max(MIN_RETRY_MS, this.#inProgress * interval);
    this.#nextSlot = Math.max(this.#nextSlot + interval, earliest);
    // Past the longest wait a client honours, it comes back then and is given a slot anew.
    const wait = this.#nextSlot - now;
    if (wait <= SLOT_HORIZON_MS) return Math.round(wait);
    // Past the horizon the schedule rests on a rate that may be wrong (measured in a stall):
    // come back somewhere in its second half and be given a slot anew, rather than wait long on
    // a guess while the directory sits idle. Spread, so those sent there do not come at once.
    this.#nextSlot -= interval;
    return Math.round(SLOT_HORIZON_MS * (0.5 + 0.5 * this.#o.random()));
  }

  /** An admitted handshake ended after `durationMs`, done (`ok`) or failed. */
  done(durationMs: number, ok: boolean): void {
    this.#inProgress = Math.max(0, this.#inProgress - 1);
    this.#starts.shift();
    const now = this.#o.clock();
    this.#roll(now);
    if (ok) {
      this.#thisSecond++;
      this.#typicalMs += (durationMs - this.#typicalMs) * TYPICAL_WEIGHT;
    }
    const target = this.#o.handshakeTimeoutMs * TARGET_SHARE;
    if (durationMs > target || this.#lagMs >= LAG_HIGH_MS) {
      this.#stalled = true;
      this.#decrease(now);
    } else if (ok) {
      const step = this.#slowStart ? 1 : 1 / this.#limit;
      this.#limit = Math.min(this.#o.maxLimit, this.#limit + step);
    }
  }

  /** The event loop's latest lag (ms), as the server measures it. */
  lag(ms: number): void {
    this.#lagMs = Math.max(0, ms);
    if (this.#lagMs >= LAG_HIGH_MS) this.#stalled = true;
    if (this.#lagMs >= LAG_HIGH_MS) this.#decrease(this.#o.clock());
  }

  /**
   * Whether the oldest handshake in progress has run STALL_FACTOR times as
   * long as they typically take: the pipeline is stuck (as telling as slow
   * ones that ended), and what finishes meanwhile says nothing of capacity.
   */
  #overdue(now: number): boolean {
    const oldest = this.#starts[0];
    return oldest !== undefined &&
      now - oldest > Math.max(MIN_RETRY_MS, STALL_FACTOR * this.#typicalMs);
  }

  #decrease(now: number): void {
    if (now - this.#lastDecrease < DECREASE_EVERY_MS) return;
    this.#lastDecrease = now;
    this.#limit = Math.max(this.#o.minLimit, this.#limit * (this.#slowStart ? 0.5 : 0.9));
    this.#slowStart = false;
  }

  /**
   * Closes the second before `now`'s into the rate: one in which someone was
   * refused measured capacity; one that was not still shows capacity is at
   * least what it did.
   */
  #roll(now: number): void {
    const second = Math.floor(now / 1000);
    if (second === this.#second) return;
    // A second in which the loop lagged, or a handshake took longer than its target, measured a
    // stall, not capacity: a directory flooded for its first seconds (after a restart) would
    // otherwise believe it serves a few a second and spread the crowd it turned away over a
    // minute, then sit idle while they wait (goodput lost).
    const measured = this.#saturated && !this.#stalled && !this.#overdue(now);
    if (this.#second >= 0 && (measured || this.#thisSecond > this.#rate)) {
      this.#rate = this.#rate * (1 - RATE_WEIGHT) + this.#thisSecond * RATE_WEIGHT;
    }
    this.#stalled = this.#lagMs >= LAG_HIGH_MS || this.#overdue(now);
    this.#second = second;
    this.#thisSecond = 0;
    this.#saturated = false;
  }
}
