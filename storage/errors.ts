/**
 * Failures reading or writing the files in the data directory.
 *
 * @module
 */

/** Why a data file could not be used. */
export type StorageErrorCode = "insecure-permissions" | "unreadable" | "malformed";

/** A data file is unsafe, missing or malformed; the message says how to fix it. */
export class StorageError extends Error {
  readonly code: StorageErrorCode;
  /** The file concerned. */
  readonly path: string;

  constructor(code: StorageErrorCode, path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StorageError";
    this.code = code;
    this.path = path;
  }
}
