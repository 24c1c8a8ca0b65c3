/**
 * Every sentence `p2pchat audit` prints (docs/cli.md, "audit"), made from
 * its report's codes and data, as words.ts makes the chat client's: one
 * line per fact, the history one line per entry, and a last line that says
 * whether the log held up and, if not, what to do.
 *
 * @module
 */
import { type Fingerprint, formatFingerprint } from "../../crypto/mod.ts";

const fp = (f: string): string => formatFingerprint(f as Fingerprint);
const count = (n: number, one: string, many = `${one}s`): string =>
  `${n.toLocaleString("en")} ${n === 1 ? one : many}`;

/** What the audit report says, as the audit words it (the shapes of client/audit's report). */
export type AuditWordsInput = {
  readonly server: string;
  readonly fingerprint: string;
  /** The directory's key was pinned by this audit (first contact). */
  readonly pinned: boolean;
  readonly forgot: boolean;
  readonly report: {
    readonly checkpoint?: { size: number; logRoot: string; mapRoot: string; time: string };
    readonly kept?: { size: number };
    readonly standing?: string;
    readonly verified: { from: number; to: number };
    readonly bound: number;
    readonly history?: {
      name: string;
      entries: { index: number; kind: string; count: number; time: string; fingerprint: string }[];
    };
    readonly problems: { code: string; detail: string; index?: number }[];
  };
};

/** The lines of an audit's report. */
export function auditWords(input: AuditWordsInput): string[] {
  const { report } = input;
  const lines = [`Directory ${input.server}, key ${fp(input.fingerprint)}`];
  if (input.pinned) {
    lines.push("Pinned its key (first contact): a different key is refused from now on");
  }
  if (input.forgot) lines.push("Forgot what this data directory kept of its log; starting over");
  const c = report.checkpoint;
  if (c) {
    lines.push(
      `Checkpoint: ${count(c.size, "entry", "entries")}, signed ${c.time}; log root ${
        c.logRoot.slice(0, 16)
      }…, map root ${c.mapRoot.slice(0, 16)}…`,
    );
  }
  if (report.kept && report.standing === "same") lines.push("The same as the checkpoint kept");
  else if (report.kept && report.standing === "newer") {
    lines.push(`Extends the checkpoint kept (${count(report.kept.size, "entry", "entries")})`);
  } else if (!report.kept && c) {
    lines.push("No checkpoint kept before: this one is kept from now on");
  }
  const { from, to } = report.verified;
  if (to > from) {
    const which = to - from === 1
      ? `entry ${from}`
      : `entries ${from.toLocaleString("en")} to ${(to - 1).toLocaleString("en")}`;
    lines.push(
      `Verified ${which}: each follows the log's rules, and together they give the ` +
        `checkpoint's roots (${count(report.bound, "name")} bound)`,
    );
  } else if (c && report.problems.length === 0) lines.push("No entries added since the last audit");
  if (report.history) {
    const { name, entries } = report.history;
    lines.push(entries.length === 0 ? `${name}: never bound` : `History of ${name}:`);
    for (const e of entries) {
      lines.push(
        `  ${e.time}  ${e.kind === "bind" ? "bound to" : "lapsed from"} ${fp(e.fingerprint)}  ` +
          `(binding ${e.count}, entry ${e.index})`,
      );
    }
  }
  for (const problem of report.problems) lines.push(`INCONSISTENT: ${problemWords(problem)}`);
  lines.push(
    report.problems.length === 0
      ? "OK: the log is consistent with everything this data directory saw"
      : "The directory's log does not hold up: keep this output and tell its operator, and the " +
        "people who use it",
  );
  return lines;
}

function problemWords(p: { code: string; detail: string; index?: number }): string {
  const at = p.index === undefined ? "" : ` (entry ${p.index})`;
  switch (p.code) {
    case "bad-checkpoint":
      return `its checkpoint is ${p.detail}`;
    case "directory-rollback":
      return `directory-rollback: its log is smaller than one it showed before (${p.detail})`;
    case "directory-fork":
      return `directory-fork: its log does not extend the one it showed before (${p.detail})`;
    case "bad-entries":
      return `bad-entries: ${p.detail}${at}`;
    case "rule-broken":
      return `rule-broken: an entry breaks the log's rules (${p.detail})${at}`;
    case "log-mismatch":
      return `log-mismatch: ${p.detail}; run again with --full if the last audit is in doubt`;
    case "map-mismatch":
      return `map-mismatch: ${p.detail}: it proves bindings its log does not make`;
    case "bad-history":
      return `bad-history: ${p.detail}`;
    case "too-large":
      return `too-large: ${p.detail}`;
    default:
      return `${p.code}: ${p.detail}`;
  }
}

/** The lines of an evidence check. */
export function evidenceWords(
  path: string,
  report: {
    verdict: { kind: string; how?: string; why?: string; detail?: string };
    directory?: string;
    checkpoints?: { size: number; time: string }[];
  },
): string[] {
  const lines = [`Evidence ${path}`];
  if (report.directory) {
    lines.push(`Both checkpoints are signed by the directory key ${fp(report.directory)}`);
  }
  for (const c of report.checkpoints ?? []) {
    lines.push(`  ${c.size.toLocaleString("en")} entries, signed ${c.time}`);
  }
  const v = report.verdict;
  switch (v.kind) {
    case "unusable":
      lines.push(`Not usable: ${v.why}`);
      break;
    case "reconciled":
      lines.push("OK: the directory proves both are one history; this shows no lie");
      break;
    case "undecided":
      lines.push("Sizes differ: give --server to ask the directory to reconcile them");
      break;
    default:
      lines.push(
        v.how === "same-size"
          ? "CONCLUSIVE: two different logs of one size, both signed by the directory"
          : `CONCLUSIVE: the directory cannot prove one is part of the other (${
            v.how === "no-proof" ? v.detail : "its proof does not hold"
          })`,
      );
  }
  return lines;
}
