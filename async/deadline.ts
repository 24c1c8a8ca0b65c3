/**
 * Time limits as `AbortSignal`s: one deadline is made where a bound starts and
 * passed down to every read and wait under it, so the whole operation (not
 * each step afresh) is bounded, and the losing wait is cancelled rather than
 * left running. Dispose of a deadline (`using`) when the bounded work ends, so
 * its timer does not keep the process alive after it.
 *
 * @example
 * ```ts
 * import { abortable, Deadline } from "./deadline.ts";
 *
 * using deadline = Deadline.after(500, () => new Error("too slow"));
 * const answer = await abortable(new Promise((r) => setTimeout(() => r(42), 10)), deadline.signal);
 * console.log(answer); // 42
 * ```
 *
 * @module
 */

/** A time limit: `signal` aborts with the given reason once it passes (or when a parent aborts). */
export class Deadline implements Disposable {
  /** Aborts when the time is up, with the reason given; or with the parent's reason. */
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #parent: AbortSignal | undefined;
  readonly #onParentAbort = (): void => this.#controller.abort(this.#parent!.reason);

  private constructor(ms: number, reason: () => Error, parent: AbortSignal | undefined) {
    this.signal = this.#controller.signal;
    this.#parent = parent;
    if (parent?.aborted) {
      this.#controller.abort(parent.reason);
      return;
    }
    parent?.addEventListener("abort", this.#onParentAbort, { once: true });
    if (Number.isFinite(ms)) {
      this.#timer = setTimeout(() => this.#controller.abort(reason()), Math.max(0, ms));
    }
  }

  /** A deadline `ms` from now that aborts with `reason()`, or earlier with `parent`. */
  static after(ms: number, reason: () => Error, parent?: AbortSignal): Deadline {
    return new Deadline(ms, reason, parent);
  }

  /** Stops the timer and detaches from the parent; the signal stays as it is. */
  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
    this.#parent?.removeEventListener("abort", this.#onParentAbort);
  }
}

/**
 * Settles as `promise` does, or rejects with `signal.reason` as soon as
 * `signal` aborts. The caller cancels the work behind `promise` (typically by
 * closing the transport it waits on); this only stops waiting for it.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Resolves after `ms`, or rejects with `signal.reason` once `signal` aborts (clearing the timer). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
