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
/** Sources whose slots are remembered (a client told Busy that comes back early is told again). */
const MAX_SLOT_SOURCES = 4_096;
/** Handshakes whose median duration is the overload signal. */
const RECENT = 16;
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
  /**
   * Slots still to come one source may hold (`--per-source-startups`, as
   * many handshakes as it may run at once); 0 or absent: sources are not told apart.
   */
  readonly slotsPerSource?: number;
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
  /** The latest RECENT handshake durations (ms), done or failed, in a ring. */
  readonly #recent = new Float64Array(RECENT);
  #recentNext = 0;
  /** How long a handshake typically takes (ms), a moving average of those that finished. */
  #typicalMs = MIN_RETRY_MS / STALL_FACTOR;
  /** Each recent source's latest slot and how many it holds still to come (MAX_SLOT_SOURCES). */
  readonly #slots = new Map<string, { at: number; count: number }>();
  /**
   * When the handshakes in progress started, oldest first; each end takes the
   * oldest out, whichever ended, so the first is the start of the k-th most
   * recent admission for k in progress: old only when nothing has ended for long.
   */
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
      slotsPerSource: options.slotsPerSource ?? 0,
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
  /**
   * A newcomer from `source` (its address block; undefined: no memory of
   * its slot) wants to start a handshake:
   * admit it (counting it) or say when to come back. While the loop lags,
   * only one handshake at a time runs, so newcomers still trickle in.
   */
  request(source?: string): CapacityDecision {
    const now = this.#o.clock();
    this.#roll(now);
    const room = this.#lagMs < LAG_HIGH_MS ? this.limit : 1;
    if (this.#inProgress < room) {
      this.#inProgress++;
      this.#starts.push(now);
      return { admit: true };
    }
    this.#saturated = true;
    return { admit: false, retryAfterMs: this.#slot(now, source) };
  }

  /**
   * A slot for a newcomer from `source` turned away before it asked (too
   * many connections starting at once): how long until it should come back,
   * in the same schedule as those refused here.
   */
  defer(source?: string): number {
    const now = this.#o.clock();
    this.#roll(now);
    return this.#slot(now, source);
  }

  /**
   * The wait until a slot for `source` (ms): one completion after the last
   * one handed out. A source holding `slotsPerSource` slots still to come
   * is told its latest again (never under MIN_RETRY_MS), so clients that
   * ignore Busy and come straight back push nobody else's slot out by more
   * than that many, while users behind one NAT still get slots of their own.
   */
  #slot(now: number, source: string | undefined): number {
    if (source === undefined || this.#o.slotsPerSource === 0) return this.#nextWait(now);
    const held = this.#slots.get(source);
    const pending = held !== undefined && held.at > now ? held.count : 0;
    if (pending >= this.#o.slotsPerSource) {
      return Math.round(Math.max(MIN_RETRY_MS, held!.at - now));
    }
    const wait = this.#nextWait(now);
    this.#slots.delete(source);
    if (this.#slots.size >= MAX_SLOT_SOURCES) {
      this.#slots.delete(this.#slots.keys().next().value!);
    }
    this.#slots.set(source, { at: now + wait, count: pending + 1 });
    return wait;
  }

  /** The next slot in the schedule (ms from now): refusals are given slots one completion apart. */
  #nextWait(now: number): number {
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
    // Overload is when most recent handshakes (done or failed) took longer than the target, or
    // the loop lags: a few clients that are slow to answer (or stall on purpose, or give up)
    // say nothing of the directory's own load, and must not shrink the room everyone gets in by.
    const target = this.#o.handshakeTimeoutMs * TARGET_SHARE;
    if (durationMs > target) this.#stalled = true;
    this.#recent[this.#recentNext++ % RECENT] = durationMs;
    if (this.#medianRecent() > target || this.#lagMs >= LAG_HIGH_MS) {
      this.#stalled = true;
      this.#decrease(now);
    } else if (ok) {
      const step = this.#slowStart ? 1 : 1 / this.#limit;
      this.#limit = Math.min(this.#o.maxLimit, this.#limit + step);
    }
  }

  /** The median of the latest RECENT handshake durations (0 before any). */
  #medianRecent(): number {
    const n = Math.min(this.#recentNext, RECENT);
    if (n === 0) return 0;
    const sorted = this.#recent.slice(0, n).sort();
    return sorted[n >> 1];
  }

  /** The event loop's latest lag (ms), as the server measures it. */
  lag(ms: number): void {
    this.#lagMs = Math.max(0, ms);
    if (this.#lagMs >= LAG_HIGH_MS) this.#stalled = true;
    if (this.#lagMs >= LAG_HIGH_MS) this.#decrease(this.#o.clock());
  }

  /**
   * Whether the first of `#starts` is STALL_FACTOR times as old as
   * handshakes typically take: nothing has ended for that long, the pipeline
   * is stuck, and what finishes meanwhile says nothing of capacity.
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
