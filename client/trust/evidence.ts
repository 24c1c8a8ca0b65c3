/**
 * Evidence that a directory lied about its log (docs/protocol.md §15.7):
 * two checkpoints it signed that no single append-only history explains (a
 * fork, a rollback, or a split view between two people), saved as a file a
 * person can hand to someone else. Each file holds both signed checkpoints
 * as the directory sent them, their fields in words, where each came from,
 * and what the directory answered when asked to reconcile them;
 * `p2pchat audit --evidence FILE` checks one. Files go in `evidence/` of
 * the data directory (0700, each 0600), named for the case and the pair,
 * so the same pair is saved once.
 *
 * @module
 */
import { join } from "node:path";
import { fingerprintOf, sha256, toBase64, toHex } from "../../crypto/mod.ts";
import { ensurePrivateDir, writePrivateFile } from "../../storage/mod.ts";
import { decodeCheckpoint, type SignedCheckpoint } from "../../transparency/mod.ts";

/** The folder of evidence files in the data directory. */
export const EVIDENCE_DIR = "evidence";

/** Which lie the evidence shows. */
export type EvidenceKind = "directory-fork" | "directory-rollback" | "directory-split-view";

/** One of the two checkpoints: as sent (base64), and where it came from. */
export type EvidenceCheckpoint = { readonly checkpoint: string; readonly from: string };

/** What an evidence file says. */
export type Evidence = {
  readonly kind: EvidenceKind;
  /** The directory: where it was reached, and its key (raw, base64). */
  readonly directory: { readonly server: string; readonly key: Uint8Array };
  /** The checkpoint kept before. */
  readonly kept: EvidenceCheckpoint;
  /** The one that does not fit it. */
  readonly seen: EvidenceCheckpoint;
  /** What the directory answered when asked to reconcile them, in words. */
  readonly answer: string;
};

/** A checkpoint's fields for people, beside its bytes. */
export function describeCheckpoint(checkpoint: SignedCheckpoint): Record<string, string | number> {
  return {
    size: checkpoint.size,
    logRoot: toHex(checkpoint.logRoot),
    mapRoot: toHex(checkpoint.mapRoot),
    time: new Date(checkpoint.time).toISOString(),
  };
}

/** Saves `evidence` under `home` (once per pair of checkpoints); returns the file's path. */
export async function saveEvidence(home: string, evidence: Evidence, now: number): Promise<string> {
  const dir = join(home, EVIDENCE_DIR);
  await ensurePrivateDir(dir);
  const fingerprint = fingerprintOf(evidence.directory.key);
  const pair = toHex(
    sha256(new TextEncoder().encode(evidence.kept.checkpoint + evidence.seen.checkpoint)),
  );
  const path = join(dir, `${evidence.kind}-${fingerprint.slice(0, 8)}-${pair.slice(0, 12)}.json`);
  const entry = (c: EvidenceCheckpoint) => {
    const fields = decodeCheckpoint(c.checkpoint);
    return {
      checkpoint: c.checkpoint,
      from: c.from,
      ...(fields ? describeCheckpoint(fields) : {}),
    };
  };
  const body = {
    what: "Two checkpoints signed by one directory's key that no single append-only log " +
      "explains (p2pchat docs/protocol.md §15.7). Check them: p2pchat audit --evidence FILE",
    kind: evidence.kind,
    found: new Date(now).toISOString(),
    directory: {
      server: evidence.directory.server,
      key: toBase64(evidence.directory.key),
      fingerprint,
    },
    kept: entry(evidence.kept),
    seen: entry(evidence.seen),
    answer: evidence.answer,
  };
  await writePrivateFile(path, JSON.stringify(body, null, 2) + "\n");
  return path;
}
