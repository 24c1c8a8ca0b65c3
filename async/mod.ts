/**
 * Deadlines and cancellable waits, shared by every layer: one deadline as an
 * AbortSignal, passed down to the reads and waits it bounds, instead of
 * timers raced by hand.
 *
 * @example
 * ```ts
 * import { abortable, Deadline, delay } from "./mod.ts";
 *
 * using deadline = Deadline.after(100, () => new Error("no answer within 100 ms"));
 * await abortable(delay(1_000), deadline.signal).catch((error) => console.log(error.message));
 * // "no answer within 100 ms"
 * ```
 *
 * @module
 */
export { abortable, Deadline, delay } from "./deadline.ts";
