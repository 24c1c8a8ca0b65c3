/**
 * What the client checks of the directory's key-transparency log
 * (docs/protocol.md §15.6), without I/O: that a checkpoint is the
 * directory's, how it stands to the one kept (the same, newer, older: a
 * rollback, or another history: a fork), that a newer one extends the kept
 * one, that a key shown is its name's binding in the checkpoint, and that
 * every change to your own name since you last looked was yours.
 *
 * @example
 * ```ts
 * import { compareCheckpoints } from "./log_checks.ts";
 *
 * const at = (size: number, root: number) => ({
 *   size, logRoot: new Uint8Array(32).fill(root), mapRoot: new Uint8Array(32), time: 0,
 *   signature: new Uint8Array(64),
 * });
 * console.log(compareCheckpoints(at(5, 1), at(3, 1))); // "rollback"
 * console.log(compareCheckpoints(at(5, 1), at(5, 2))); // "fork"
 * ```
 *
 * @module
 */
import {
  type CheckpointVerifier,
  decodeBindingProof,
  decodeCheckpoint,
  decodeEntry,
  decodeHashes,
  encodeValue,
  leafHash,
  type LogEntry,
  mapPath,
  type MapValue,
  sameBytes,
  type SignedCheckpoint,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
  verifyMapProof,
} from "../../transparency/mod.ts";
import { fromBase64 } from "../../crypto/mod.ts";
import type { UserEntry } from "../../protocol/mod.ts";

/** Why a key shown is not proven. */
export type ProofProblem =
  /** The reply carries no checkpoint or no proof. */
  | "no-proof"
  /** The checkpoint is malformed, or not signed by the directory's key. */
  | "bad-checkpoint"
  /** The proof does not add up to the checkpoint's map root (a wrong sibling, size or root). */
  | "bad-proof"
  /** The log binds the name to nobody. */
  | "not-bound"
  /** The log's binding of the name lapsed. */
  | "lapsed"
  /** The log binds the name to another key. */
  | "other-key";

/** What the log says of a key the directory showed: proven, or why it is not trusted. */
export type KeyVerdict =
  | { readonly ok: true }
  | {
    readonly ok: false;
    readonly reason:
      | "unproven-binding"
      | "directory-fork"
      | "directory-rollback"
      | "directory-split-view";
    /** For `unproven-binding`: a ProofProblem. */
    readonly detail?: string;
    /** The log sizes kept and seen, and where the evidence was saved. */
    readonly log?: { kept?: number; seen?: number; evidence?: string };
  };

/** A user entry as the directory link returns it: with the log's verdict on its key. */
export type ProvenUser = UserEntry & {
  readonly proven?: KeyVerdict;
};

/** The checkpoint `wire` holds if the directory (`verifier`) signed it, else null. */
export function directoryCheckpoint(
  verifier: CheckpointVerifier,
  wire: string | undefined,
): SignedCheckpoint | null {
  const checkpoint = wire === undefined ? null : decodeCheckpoint(wire);
  return checkpoint && verifyCheckpoint(verifier, checkpoint);
}

/**
 * What the proof `wire` shows the log binds to the folded `name` in
 * `checkpoint`: its value (null: nothing), or bad-proof.
 */
export function provenValue(
  checkpoint: SignedCheckpoint,
  name: string,
  wire: string | undefined,
): { value: MapValue | null } | { problem: ProofProblem } {
  if (wire === undefined) return { problem: "no-proof" };
  const binding = decodeBindingProof(wire);
  if (!binding) return { problem: "bad-proof" };
  const value = binding.value && encodeValue(binding.value);
  if (!verifyMapProof(checkpoint.mapRoot, mapPath(name), value, binding.proof)) {
    return { problem: "bad-proof" };
  }
  return { value: binding.value };
}

/** Whether the proof `wire` shows `name` (folded) bound to `key` in `checkpoint`, and its count. */
export function checkBinding(
  checkpoint: SignedCheckpoint,
  name: string,
  key: Uint8Array,
  wire: string | undefined,
): { count: number } | { problem: ProofProblem; value?: MapValue } {
  const proven = provenValue(checkpoint, name, wire);
  if ("problem" in proven) return proven;
  const { value } = proven;
  if (value === null) return { problem: "not-bound" };
  if (value.state === "lapsed") return { problem: "lapsed", value };
  if (!sameBytes(value.key, key)) return { problem: "other-key", value };
  return { count: value.count };
}

/** How a checkpoint seen stands to the one kept. */
export type Standing = "first" | "same" | "newer" | "rollback" | "fork";

/**
 * `seen` against `kept`: its size decides, and at one size, its roots (a
 * second map root over the same log is a second history too).
 */
export function compareCheckpoints(
  kept: SignedCheckpoint | undefined,
  seen: SignedCheckpoint,
): Standing {
  if (kept === undefined) return "first";
  if (seen.size < kept.size) return "rollback";
  if (seen.size > kept.size) return "newer";
  const same = sameBytes(seen.logRoot, kept.logRoot) && sameBytes(seen.mapRoot, kept.mapRoot);
  return same ? "same" : "fork";
}

/** Whether the consistency proof `wire` shows `larger` extends `smaller` (RFC 9162 §2.1.4.2). */
export function extendsLog(
  smaller: SignedCheckpoint,
  larger: SignedCheckpoint,
  wire: string | undefined,
): boolean {
  const proof = wire === undefined ? null : decodeHashes(wire);
  return proof !== null &&
    verifyConsistency(smaller.size, larger.size, smaller.logRoot, larger.logRoot, proof);
}

/** A history entry as the directory sends it: index, entry and inclusion proof (base64). */
export type WireHistoryEntry = { index: number; entry: string; proof: string };

/** The entries of `wire` that are in `checkpoint` and are `name`'s; null if any is not. */
export function provenHistory(
  checkpoint: SignedCheckpoint,
  name: string,
  wire: readonly WireHistoryEntry[],
): (LogEntry & { index: number })[] | null {
  const out: (LogEntry & { index: number })[] = [];
  for (const item of wire) {
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(item.entry);
    } catch {
      return null;
    }
    const entry = decodeEntry(bytes);
    const proof = decodeHashes(item.proof);
    if (!entry || !proof || entry.name !== name) return null;
    if (!verifyInclusion(leafHash(bytes), item.index, checkpoint.size, proof, checkpoint.logRoot)) {
      return null;
    }
    out.push({ ...entry, index: item.index });
  }
  return out;
}

/** What became of your name since you last saw its count: nothing, or someone else held it. */
export type OwnVerdict =
  | { readonly kind: "ok" }
  /** Entries of your name with counts from `from` to `to` are to be read (the history). */
  | { readonly kind: "read-history"; readonly from: number; readonly to: number }
  | {
    readonly kind: "rebound";
    /** The other key bound to your name, when the history shows one. */
    readonly key?: Uint8Array;
    readonly time?: number;
    /**
     * `after-lapse`: another key bound it after your binding lapsed;
     * `while-bound`: with no lapse logged before; `bound-to-other`: the log
     * binds it to another key now; `hidden-history`: the directory would
     * not show the binds since; `count-fell`: fewer binds than you saw.
     */
    readonly how:
      | "after-lapse"
      | "while-bound"
      | "bound-to-other"
      | "hidden-history"
      | "count-fell";
  };

/**
 * Your name's count now (`count`, proven bound to your key) against the
 * one you kept (`kept`): the same, or one more (that one bind is yours: the
 * value shows your key), is fine; a lower one means the map went back; a
 * higher one means binds you did not see, whose history is to be read.
 */
export function ownName(kept: number | undefined, count: number): OwnVerdict {
  if (kept === undefined || count === kept || count === kept + 1) return { kind: "ok" };
  if (count < kept) return { kind: "rebound", how: "count-fell" };
  return { kind: "read-history", from: kept + 1, to: count };
}

/**
 * The binds of your name with counts `from` to `to`, from its proven
 * history: each must be your key's; a bind of another key is a rebind
 * (after a lapse, or, with no lapse logged before it, while you held it);
 * a count missing is history the directory hid.
 */
export function ownHistory(
  entries: readonly LogEntry[],
  own: Uint8Array,
  span: { from: number; to: number },
): OwnVerdict {
  const binds = entries.filter((e) =>
    e.kind === "bind" && e.count >= span.from && e.count <= span.to
  );
  for (const entry of binds) {
    if (sameBytes(entry.key, own)) continue;
    // A rule-keeping log lapses a binding before it binds the name again.
    const before = entries[entries.indexOf(entry) - 1];
    const how = before?.kind === "lapse" ? "after-lapse" : "while-bound";
    return { kind: "rebound", key: entry.key, time: entry.time, how };
  }
  const counts = new Set(binds.map((e) => e.count));
  for (let c = span.from; c <= span.to; c++) {
    if (!counts.has(c)) return { kind: "rebound", how: "hidden-history" };
  }
  return { kind: "ok" };
}
