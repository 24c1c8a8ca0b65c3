/**
 * The one base of every error p2pchat handles by code. Each layer (crypto,
 * directory protocol, storage, client, server, command line) declares the
 * union of its codes and subclasses this; callers branch on `instanceof` and
 * `code`, never on message text, and people read the message, which says
 * what happened and what to do.
 *
 * @example
 * ```ts
 * import { CodedError } from "./coded_error.ts";
 *
 * class StoreError extends CodedError<"store-unavailable"> {}
 * try {
 *   throw new StoreError("store-unavailable", "The store is down; retry in a moment");
 * } catch (error) {
 *   if (error instanceof CodedError) console.log(error.code); // "store-unavailable"
 * }
 * ```
 *
 * @module
 */

/** An error with a stable, machine-readable `code` from its layer's union. */
export class CodedError<C extends string = string> extends Error {
  /** Stable across releases: scripts and `--json` consumers branch on it. */
  readonly code: C;

  /** Makes an error with `code`; `message` is for people and never holds key material. */
  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The code of `error` if it is a CodedError, else `fallback`. */
export function errorCode(error: unknown, fallback = "internal"): string {
  return error instanceof CodedError ? error.code : fallback;
}

/** The message of any thrown value, for people. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
