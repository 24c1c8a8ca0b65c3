/**
 * The error base every layer's typed errors extend: a stable `code` that
 * callers branch on, and a message that tells the user what happened and
 * what to do. Each layer narrows `code` to its own union.
 *
 * @example
 * ```ts
 * import { CodedError, errorCode, errorMessage } from "./mod.ts";
 *
 * class StoreError extends CodedError<"store-unreachable"> {}
 * const error = new StoreError("store-unreachable", "Cannot reach the store; is Redis running?");
 * console.log(errorCode(error), errorMessage(error)); // store-unreachable Cannot reach …
 * ```
 *
 * @module
 */
export { CodedError, errorCode, errorMessage } from "./coded_error.ts";
