/**
 * How far a transfer is, and how fast it goes (pure, the clock passed in):
 * bytes so far, a rate over the last few seconds, and whether a progress
 * report is due (at most PROGRESS_PER_SECOND a second per transfer).
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 *
 * const progress = new Progress(0, 0);
 * progress.update(1_000_000, 500);
 * console.log(progress.due(500), progress.rate(500)); // true 2000000
 * ```
 *
 * @module
 */

/** Most progress reports a second, per transfer. */
export const PROGRESS_PER_SECOND = 4;
/** The window the rate is measured over. */
export const RATE_WINDOW_MS = 3_000;
/** Samples kept for the rate: one per report is plenty. */
const MAX_SAMPLES = PROGRESS_PER_SECOND * (RATE_WINDOW_MS / 1000) + 2;

/** A transfer's progress. */
export class Progress {
  #bytes: number;
  #reported = -Infinity;
  /** [time, bytes] pairs, oldest first, within the window. */
  readonly #samples: [number, number][];

  /** Starts at `bytes` (kept from before) at time `now`. */
  constructor(bytes: number, now: number) {
    this.#bytes = bytes;
    this.#samples = [[now, bytes]];
  }

  /** Bytes so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Starts over at `bytes` (what was kept from before is no part of the rate). */
  restart(bytes: number, now: number): void {
    this.#bytes = bytes;
    this.#samples.splice(0, this.#samples.length, [now, bytes]);
  }

  /** Bytes are now `bytes`, at `now`. */
  update(bytes: number, now: number): void {
    this.#bytes = bytes;
    const last = this.#samples.at(-1)!;
    if (now - last[0] >= 1000 / PROGRESS_PER_SECOND / 2) this.#samples.push([now, bytes]);
    while (this.#samples.length > MAX_SAMPLES || now - this.#samples[0][0] > RATE_WINDOW_MS) {
      if (this.#samples.length <= 2) break;
      this.#samples.shift();
    }
  }

  /** Whether a report is due at `now`; if so, it counts as made. */
  due(now: number): boolean {
    if (now - this.#reported < 1000 / PROGRESS_PER_SECOND) return false;
    this.#reported = now;
    return true;
  }

  /** Bytes a second over the window, whole. */
  rate(now: number): number {
    const [t0, b0] = this.#samples[0];
    const elapsed = now - t0;
    return elapsed <= 0 ? 0 : Math.round(((this.#bytes - b0) * 1000) / elapsed);
  }
}
