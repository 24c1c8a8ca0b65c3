/**
 * Failures reading or writing the files in the data directory: the storage
 * layer's codes.
 *
 * @module
 */
import { CodedError } from "../errors/mod.ts";

/** Why a data file could not be used. */
export type StorageErrorCode =
  | "insecure-permissions"
  | "unreadable"
  | "unwritable"
  | "malformed"
  | "not-a-directory";

/** A data file is unsafe, missing or malformed; the message says how to fix it. */
export class StorageError extends CodedError<StorageErrorCode> {
  /** The file concerned. */
  readonly path: string;

  /** Makes the error for `path`. */
  constructor(code: StorageErrorCode, path: string, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.path = path;
  }
}
