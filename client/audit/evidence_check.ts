/**
 * Checking an evidence file a client saved (docs/protocol.md §15.7): its
 * two checkpoints must both be signed by the directory key the file names
 * (the one pinned for that directory, when this data directory has one);
 * two of one size with different roots are conclusive by themselves; of
 * two sizes, the directory is asked to prove the smaller a prefix of the
 * larger: a proof that holds clears it, anything else is conclusive.
 *
 * @module
 */
import { PublicIdentity } from "../../crypto/mod.ts";
import { errorMessage } from "../../errors/mod.ts";
import { DirectoryError } from "../../protocol/mod.ts";
import { directoryCheckpoint, extendsLog } from "../trust/mod.ts";
import type { SignedCheckpoint } from "../../transparency/mod.ts";
import { type CheckpointFacts, facts } from "./audit_run.ts";

/** What an evidence file shows. */
export type EvidenceVerdict =
  /** The file is not one, or a checkpoint in it is not signed by the key it names. */
  | { readonly kind: "unusable"; readonly why: string }
  /** Two histories: by the checkpoints alone, or because the directory could not reconcile them. */
  | {
    readonly kind: "conclusive";
    readonly how: "same-size" | "no-proof" | "proof-fails";
    readonly detail?: string;
  }
  /** The directory proved the two are one history: no lie shown. */
  | { readonly kind: "reconciled" }
  /** Sizes differ and no directory was asked (no --server). */
  | { readonly kind: "undecided" };

/** The evidence's facts and verdict, for the report. */
export type EvidenceReport = {
  readonly verdict: EvidenceVerdict;
  readonly directory?: string;
  readonly checkpoints?: CheckpointFacts[];
};

/**
 * Checks the evidence `text`; `pinned` is the fingerprint this data
 * directory pinned for the directory, if any; `ask` the directory's
 * consistency proof, when a directory is at hand.
 */
export async function checkEvidence(
  text: string,
  options: {
    pinned?: (server: string) => string | undefined;
    ask?: (from: number, to: number) => Promise<string>;
  },
): Promise<EvidenceReport> {
  let file: {
    directory?: { key?: string; server?: string };
    kept?: { checkpoint?: string };
    seen?: { checkpoint?: string };
  };
  let key: PublicIdentity;
  try {
    file = JSON.parse(text);
    key = PublicIdentity.fromRaw(
      Uint8Array.from(atob(file.directory?.key ?? ""), (c) => c.charCodeAt(0)),
    );
  } catch (error) {
    return { verdict: { kind: "unusable", why: `not an evidence file (${errorMessage(error)})` } };
  }
  const pinned = file.directory?.server ? options.pinned?.(file.directory.server) : undefined;
  if (pinned !== undefined && pinned !== key.fingerprint) {
    return {
      verdict: {
        kind: "unusable",
        why: "it names another key than the one pinned for that directory",
      },
    };
  }
  const pair = [file.kept?.checkpoint, file.seen?.checkpoint].map((w) =>
    directoryCheckpoint(key, w)
  );
  if (!pair[0] || !pair[1]) {
    return {
      verdict: { kind: "unusable", why: "a checkpoint in it is not signed by the key it names" },
    };
  }
  const [a, b] = pair as [SignedCheckpoint, SignedCheckpoint];
  const report = { directory: key.fingerprint, checkpoints: [facts(a), facts(b)] };
  if (a.size === b.size) {
    const same = a.logRoot.every((x, i) => x === b.logRoot[i]) &&
      a.mapRoot.every((x, i) => x === b.mapRoot[i]);
    return {
      ...report,
      verdict: same ? { kind: "reconciled" } : { kind: "conclusive", how: "same-size" },
    };
  }
  if (!options.ask) return { ...report, verdict: { kind: "undecided" } };
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  try {
    const proof = await options.ask(small.size, large.size);
    return {
      ...report,
      verdict: extendsLog(small, large, proof)
        ? { kind: "reconciled" }
        : { kind: "conclusive", how: "proof-fails" },
    };
  } catch (error) {
    // The directory refusing to prove it is its answer; a connection lost is no answer at all.
    if (!(error instanceof DirectoryError)) throw error;
    return {
      ...report,
      verdict: { kind: "conclusive", how: "no-proof", detail: errorMessage(error) },
    };
  }
}
