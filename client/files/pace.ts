/**
 * A chat stays a chat (docs/protocol.md §14.6): file data waits while more
 * than FILE_LOW_WATER bytes are queued on the chat's channel, so a chat
 * message typed during a transfer queues behind at most that much (a
 * fraction of a millisecond on loopback), not behind the channel's 512 KiB
 * of backpressure. The channel's own bound on a peer that never reads
 * (DEFAULT_MAX_BUFFERED, `slow-reader`) is untouched: file data stays far
 * below it.
 *
 * The channel has no "drained below" signal, so the wait looks again after
 * each turn of the event loop (setImmediate lets socket writes complete in
 * between), and backs off to a timer once the queue has not moved for a
 * while, so a stalled peer costs no busy loop.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/** Bytes queued on the channel above which file data waits. */
export const FILE_LOW_WATER = 128 * 1024;
/** Quick looks before the wait backs off to a timer. */
const QUICK_LOOKS = 2_000;
/** The timer's period once backed off. */
const SLOW_LOOK_MS = 1;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const later = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `queued()` is at most FILE_LOW_WATER, or `signal` aborts. */
export async function belowLowWater(queued: () => number, signal: AbortSignal): Promise<void> {
  for (let looks = 0; queued() > FILE_LOW_WATER && !signal.aborted; looks++) {
    await (looks < QUICK_LOOKS ? nextTurn() : later(SLOW_LOOK_MS));
  }
}
