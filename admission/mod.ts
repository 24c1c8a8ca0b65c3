/**
 * Fair admission of unauthenticated handshakes, shared by the directory's
 * listener and the client's: a cap per source network, random early drop
 * past a threshold, and eviction of the busiest source when full (OpenSSH's
 * `MaxStartups` and `PerSourceMaxStartups`), decided without I/O.
 *
 * @example
 * ```ts
 * import { HandshakeAdmission } from "./mod.ts";
 *
 * const admission = new HandshakeAdmission({ start: 8, rate: 30, full: 16, perSource: 2 });
 * const first = admission.admit("192.0.2.7", () => {});
 * admission.admit("192.0.2.7", () => {});
 * console.log(admission.admit("192.0.2.7", () => {})); // "per-source-startups"
 * if (typeof first !== "string") admission.release(first);
 * ```
 *
 * @module
 */
export {
  DEFAULT_STARTUP_LIMITS,
  HandshakeAdmission,
  sourceBlock,
  type StartupLimits,
  type StartupRefusal,
  type StartupTicket,
} from "./handshake_admission.ts";
