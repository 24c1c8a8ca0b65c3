/**
 * Deadlines and cancellable waits, shared by every layer.
 *
 * @module
 */
export { abortable, Deadline, delay } from "./deadline.ts";
