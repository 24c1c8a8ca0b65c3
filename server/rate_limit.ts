/**
 * Per-address token buckets for registrations, with an injected clock.
 *
 * @module
 */

/** Allows `rate` events a second per key, in bursts of up to `rate`. */
export class RateLimiter {
  readonly #rate: number;
  readonly #clock: () => number;
  readonly #buckets = new Map<string, { tokens: number; updated: number }>();

  /** `rate` 0 means unlimited. */
  constructor(rate: number, clock: () => number) {
    this.#rate = rate;
    this.#clock = clock;
  }

  /** Takes a token for `key`; false when the key is over its rate. */
  take(key: string): boolean {
    if (this.#rate === 0) return true;
    const now = this.#clock();
    const bucket = this.#buckets.get(key) ?? { tokens: this.#rate, updated: now };
    bucket.tokens = Math.min(
      this.#rate,
      bucket.tokens + ((now - bucket.updated) / 1000) * this.#rate,
    );
    bucket.updated = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Forgets buckets that have refilled, so idle addresses cost nothing. */
  sweep(): void {
    const now = this.#clock();
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.updated) / 1000) * this.#rate >= this.#rate) {
        this.#buckets.delete(key);
      }
    }
  }
}
