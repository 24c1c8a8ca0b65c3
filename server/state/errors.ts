/**
 * Failures of the server's own setup: the server layer's codes. Requests
 * refused while running answer with directory codes (protocol/errors.ts).
 *
 * @module
 */
import { CodedError } from "../../errors/mod.ts";

/** Why `serve` (or `store copy`) cannot use its store. */
export type StoreErrorCode =
  | "store-unreachable"
  | "store-auth-failed"
  | "store-bad-url"
  | "store-conflict";

/** Why `serve` cannot listen where it was told to. */
export type ListenErrorCode = "listen-failed";

/** Every code of the server layer's own errors. */
export type ServerErrorCode = StoreErrorCode | ListenErrorCode;

/** The store cannot be used; the message names it (password hidden) and says what to do. */
export class StoreError extends CodedError<StoreErrorCode> {}

/** `serve` cannot listen on an address; the message names it, the flag that gave it, and why. */
export class ListenError extends CodedError<ListenErrorCode> {}
