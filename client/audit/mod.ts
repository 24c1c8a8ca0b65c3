/**
 * `p2pchat audit` (docs/protocol.md §15.8, docs/cli.md): a cron-able
 * monitor of a directory's key-transparency log. It checks the directory's
 * checkpoint against the ones this data directory kept, verifies every
 * entry added since the last audit (each following the log's rules, all
 * of them giving the checkpoint's log and map roots), prints a name's
 * binding history with times, and checks evidence files clients saved.
 *
 * @example
 * ```ts
 * import { parseAuditOptions } from "./mod.ts";
 *
 * const options = parseAuditOptions(
 *   { server: "chat.example.org", name: "alice", json: false, full: false, forget: false } as never,
 *   { HOME: "/home/alice" },
 * );
 * console.log(options.server); // { hostname: "chat.example.org", port: 7447 }
 * ```
 *
 * @module
 */
export { auditCommand } from "./audit_command.ts";
export { auditFlags, type AuditOptions, parseAuditOptions } from "./audit_options.ts";
export {
  audit,
  type AuditOutcome,
  type AuditProblem,
  type AuditProblemCode,
  type AuditReport,
  type AuditSource,
} from "./audit_run.ts";
export { AUDIT_DIR, type AuditState, auditStatePath, emptyAuditState } from "./audit_state.ts";
export { checkEvidence, type EvidenceReport, type EvidenceVerdict } from "./evidence_check.ts";
