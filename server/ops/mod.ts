/**
 * What an operator sees of a running directory: one log line per event
 * (text or JSON, batched off the request path), and Prometheus metrics with
 * a health check over HTTP.
 *
 * @example
 * ```ts
 * import { Logger } from "./mod.ts";
 *
 * const log = new Logger("text", { write: (line) => console.error(line) });
 * log.event("connect", { session: 1, address: "192.0.2.7" });
 * await log.flush();
 * ```
 *
 * @module
 */
export { type LogFormat, Logger } from "./log.ts";
export { serveMetrics } from "./metrics_http.ts";
export {
  type AdmissionResult,
  type CapacityView,
  LAG_TICK_MS,
  Metrics,
  type RejectionReason,
} from "./metrics.ts";
