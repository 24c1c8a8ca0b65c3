/**
 * One audit of a directory's log (docs/protocol.md §15.8), against any
 * source of the log's requests (a DirectoryClient): the checkpoint must be
 * the directory's and extend the one this data directory kept; every entry
 * added since the last audit (or all, with --full) is read, must follow the
 * log's rules, and together they must give the checkpoint's log root and,
 * replayed into the map, its map root; a name's history is read with each
 * entry proven in the log. The report is data: the words are the
 * terminal's (client/terminal/audit_words.ts).
 *
 * @module
 */
import { fingerprintOf, fromBase64, type PublicIdentity, toHex } from "../../crypto/mod.ts";
import { errorMessage } from "../../errors/mod.ts";
import { MAX_LOG_ENTRIES } from "../../protocol/mod.ts";
import {
  decodeEntry,
  encodeValue,
  leafHash,
  mapPath,
  type MapValue,
  sameBytes,
  type SignedCheckpoint,
  SparseMap,
  valueAfter,
  valueOf,
} from "../../transparency/mod.ts";
import {
  compareCheckpoints,
  directoryCheckpoint,
  extendsLog,
  provenHistory,
  type Standing,
  type WireHistoryEntry,
} from "../trust/mod.ts";
import type { AuditState } from "./audit_state.ts";

/** Pages of a name's history an audit reads, at most. */
export const MAX_HISTORY_PAGES = 64;
/**
 * Entries one audit reads, at most (it holds every name's value): a log
 * claiming more is named (`too-large`) rather than read without end.
 */
export const MAX_AUDIT_ENTRIES = 20_000_000;

/** What the audit asks of the directory. */
export interface AuditSource {
  /** The latest checkpoint. */
  logCheckpoint(): Promise<string>;
  /** The consistency proof between two sizes. */
  logConsistency(from: number, to: number): Promise<string>;
  /** Entries from `from` on. */
  logEntries(from: number, count?: number): Promise<{ entries: string[]; checkpoint: string }>;
  /** A name's entries from index `from` on. */
  logHistory(
    name: string,
    from?: number,
  ): Promise<{ entries: WireHistoryEntry[]; more: boolean; checkpoint: string }>;
}

/** What an audit found wrong. */
export type AuditProblemCode =
  | "bad-checkpoint"
  | "directory-rollback"
  | "directory-fork"
  | "bad-entries"
  | "rule-broken"
  | "log-mismatch"
  | "map-mismatch"
  | "bad-history"
  | "too-large";

/** One inconsistency, with what it is about. */
export type AuditProblem = {
  readonly code: AuditProblemCode;
  readonly detail: string;
  readonly index?: number;
};

/** A checkpoint's fields as a report shows them. */
export type CheckpointFacts = { size: number; logRoot: string; mapRoot: string; time: string };

/** One entry of a name's history, as a report shows it. */
export type HistoryLine = {
  index: number;
  kind: "bind" | "lapse";
  count: number;
  time: string;
  fingerprint: string;
};

/** What an audit found. */
export type AuditReport = {
  checkpoint?: CheckpointFacts;
  /** The checkpoint this data directory kept before, and how the new one stands to it. */
  kept?: CheckpointFacts;
  standing?: Standing;
  /** The entries read and verified this time: [from, to). */
  verified: { from: number; to: number };
  /** Names the map binds now. */
  bound: number;
  history?: { name: string; entries: HistoryLine[] };
  problems: AuditProblem[];
};

/** What the caller keeps after a clean audit: the checkpoint and the state at it. */
export type AuditOutcome = {
  report: AuditReport;
  keep?: { checkpoint: string; state: AuditState };
};

/** A checkpoint's facts for the report. */
export function facts(checkpoint: SignedCheckpoint): CheckpointFacts {
  return {
    size: checkpoint.size,
    logRoot: toHex(checkpoint.logRoot),
    mapRoot: toHex(checkpoint.mapRoot),
    time: new Date(checkpoint.time).toISOString(),
  };
}

/** Audits the log `source` serves, signed by `server`, against what was kept. */
export async function audit(
  source: AuditSource,
  input: { server: PublicIdentity; kept?: string; state: AuditState; name?: string },
): Promise<AuditOutcome> {
  const problems: AuditProblem[] = [];
  const report: AuditReport = { verified: { from: 0, to: 0 }, bound: 0, problems };
  const wire = await source.logCheckpoint();
  const checkpoint = directoryCheckpoint(input.server, wire);
  if (!checkpoint) {
    problems.push({ code: "bad-checkpoint", detail: "not signed by the directory's key" });
    return { report };
  }
  report.checkpoint = facts(checkpoint);
  const kept = directoryCheckpoint(input.server, input.kept) ?? undefined;
  if (kept) report.kept = facts(kept);
  report.standing = compareCheckpoints(kept, checkpoint);
  if (report.standing === "rollback") {
    problems.push({ code: "directory-rollback", detail: `${checkpoint.size} < ${kept!.size}` });
  } else if (report.standing === "fork") {
    problems.push({ code: "directory-fork", detail: `another root at size ${kept!.size}` });
  } else if (report.standing === "newer") {
    const proof = await source.logConsistency(kept!.size, checkpoint.size).catch((e) => {
      problems.push({ code: "directory-fork", detail: errorMessage(e) });
      return undefined;
    });
    if (proof !== undefined && !extendsLog(kept!, checkpoint, proof)) {
      problems.push({ code: "directory-fork", detail: "its consistency proof does not hold" });
    }
  }
  if (input.state.edge.size > checkpoint.size) {
    problems.push({
      code: "directory-rollback",
      detail: `audited ${input.state.edge.size} entries before, ${checkpoint.size} now`,
    });
  }
  if (checkpoint.size - input.state.edge.size > MAX_AUDIT_ENTRIES) {
    problems.push({
      code: "too-large",
      detail: `${
        checkpoint.size - input.state.edge.size
      } entries to read, more than one audit reads (${MAX_AUDIT_ENTRIES})`,
    });
  }
  if (problems.length > 0) return { report };
  const state = await verifyEntries(source, checkpoint, input.state, problems);
  report.verified = { from: input.state.edge.size, to: state.edge.size };
  report.bound = [...state.names.values()].filter((v) => v.state === "bound").length;
  if (input.name) report.history = await history(source, input.server, input.name, problems);
  return problems.length > 0 ? { report } : { report, keep: { checkpoint: wire, state } };
}

/** Reads and checks every entry from the state's size to the checkpoint's. */
async function verifyEntries(
  source: AuditSource,
  checkpoint: SignedCheckpoint,
  from: AuditState,
  problems: AuditProblem[],
): Promise<AuditState> {
  const edge = from.edge.clone();
  const names = new Map<string, MapValue>(from.names);
  while (edge.size < checkpoint.size) {
    const page = await source.logEntries(edge.size, MAX_LOG_ENTRIES);
    const wanted = page.entries.slice(0, checkpoint.size - edge.size);
    if (wanted.length === 0) {
      problems.push({
        code: "bad-entries",
        detail: `no entries from ${edge.size} on`,
        index: edge.size,
      });
      break;
    }
    for (const text of wanted) {
      const index = edge.size;
      const bytes = fromBase64(text);
      edge.append(leafHash(bytes));
      const entry = decodeEntry(bytes);
      if (!entry) {
        problems.push({ code: "bad-entries", detail: "an entry that does not decode", index });
        continue;
      }
      const after = valueAfter(names.get(entry.name) ?? null, entry);
      if ("broken" in after) problems.push({ code: "rule-broken", detail: after.broken, index });
      names.set(entry.name, valueOf(entry));
    }
  }
  if (!sameBytes(edge.root(), checkpoint.logRoot)) {
    problems.push({ code: "log-mismatch", detail: "its entries do not give its log root" });
  }
  const map = SparseMap.of([...names].map(([name, value]) => [mapPath(name), encodeValue(value)]));
  if (!sameBytes(map.root(), checkpoint.mapRoot)) {
    problems.push({ code: "map-mismatch", detail: "its entries do not give its map root" });
  }
  return { edge, names };
}

/** `name`'s history, every entry proven in a checkpoint of the directory, and following the rules. */
async function history(
  source: AuditSource,
  server: PublicIdentity,
  name: string,
  problems: AuditProblem[],
): Promise<{ name: string; entries: HistoryLine[] }> {
  const folded = name.toLowerCase();
  const lines: HistoryLine[] = [];
  let value: MapValue | null = null;
  let from = 0;
  for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
    const answer = await source.logHistory(folded, from);
    const checkpoint = directoryCheckpoint(server, answer.checkpoint);
    const entries = checkpoint && provenHistory(checkpoint, folded, answer.entries);
    if (!entries) {
      problems.push({ code: "bad-history", detail: "an entry not proven in the log" });
      break;
    }
    for (const entry of entries) {
      const after = valueAfter(value, entry);
      if ("broken" in after) {
        problems.push({ code: "rule-broken", detail: after.broken, index: entry.index });
      }
      value = valueOf(entry);
      lines.push({
        index: entry.index,
        kind: entry.kind,
        count: entry.count,
        time: new Date(entry.time).toISOString(),
        fingerprint: fingerprintOf(entry.key),
      });
    }
    if (!answer.more || entries.length === 0) break;
    from = entries[entries.length - 1].index + 1;
  }
  return { name, entries: lines };
}
