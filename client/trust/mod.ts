/**
 * What the client trusts (docs/protocol.md §7, §10): keys pinned per
 * directory on first contact, verification marks, changed keys held back
 * until `/trust`, and the checks every directory answer must pass.
 *
 * @example
 * ```ts
 * import { checkUser } from "./mod.ts";
 *
 * const answer = { name: "bob", address: "example.org", port: 7447, key: "", fingerprint: "", addresses: [] };
 * console.log("problem" in checkUser(answer, {})); // true: not a usable entry
 * ```
 *
 * @module
 */
export {
  type CheckedUser,
  checkUser,
  checkUsers,
  type EntryProblem,
  type Inconsistency,
  isIpLiteral,
} from "./directory_check.ts";
export {
  type Admission,
  admitListed,
  admitProven,
  type KeyStatus,
  type Refusal,
  type RefusalReason,
} from "./admission.ts";
export { PeerTrust } from "./peer_trust.ts";
export {
  firstContact,
  inconsistent,
  isSelf,
  isSelfPeer,
  refusal,
  type TrustAction,
  type TrustView,
  unproven,
  type Verdict,
  vetEntry,
  vetKey,
  vetListing,
} from "./trust_rules.ts";
export { type Pin, PinFile } from "./pin_file.ts";
// Key transparency (docs/protocol.md §15.6).
export {
  checkBinding,
  compareCheckpoints,
  directoryCheckpoint,
  extendsLog,
  type KeyVerdict,
  ownHistory,
  ownName,
  type OwnVerdict,
  type ProofProblem,
  provenHistory,
  type ProvenUser,
  provenValue,
  type Standing,
  type WireHistoryEntry,
} from "./log_checks.ts";
export { CheckpointFile, CHECKPOINTS_FILE, type KeptLog } from "./checkpoint_file.ts";
export {
  describeCheckpoint,
  type Evidence,
  EVIDENCE_DIR,
  type EvidenceCheckpoint,
  type EvidenceKind,
  saveEvidence,
} from "./evidence.ts";
