/**
 * The error base every layer's typed errors extend.
 *
 * @module
 */
export { CodedError, errorCode, errorMessage } from "./coded_error.ts";
