/**
 * How clients wait between attempts to reach the directory: doubling from
 * MIN_BACKOFF_MS up to MAX_BACKOFF_MS, each wait half fixed and half random
 * (jitter), so that thousands of clients that lost one directory at once do
 * not all come back in the same instant.
 *
 * @module
 */

/** First reconnection delay; it doubles up to MAX_BACKOFF_MS, with jitter. */
export const MIN_BACKOFF_MS = 250;
/** Longest wait between reconnection attempts. */
export const MAX_BACKOFF_MS = 10_000;

/** The delay before attempt `attempt` (0-based): doubling, capped, half of it jitter. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** attempt);
  return base / 2 + random() * base / 2;
}

/**
 * How long to wait after a Busy answer that asked for `retryAfterMs`: that
 * long and up to a fifth more, so clients given one slot do not all come
 * back in its first instant.
 */
export function busyDelayMs(retryAfterMs: number, random: () => number = Math.random): number {
  // Never sooner than the first backoff: Busy is unauthenticated, and a forged "0" must not
  // set a client reconnecting in a tight loop.
  return Math.max(MIN_BACKOFF_MS, retryAfterMs) * (1 + random() / 5);
}

/**
 * The first reconnection after the directory was lost is spread this wide:
 * every user of a directory that restarts loses it in the same instant, and
 * a crowd that all comes back in the next quarter second stalls it for
 * seconds with the work of turning most of them away (a restart of 10,000
 * on the test machine: README, Performance).
 */
export const RECONNECT_SPREAD_MS = 3_000;

/** The wait before the first reconnection: uniform in [MIN_BACKOFF_MS, RECONNECT_SPREAD_MS]. */
export function firstReconnectMs(random: () => number = Math.random): number {
  return MIN_BACKOFF_MS + random() * (RECONNECT_SPREAD_MS - MIN_BACKOFF_MS);
}
