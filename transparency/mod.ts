/**
 * Key transparency (docs/protocol.md §15): the append-only log of name
 * bindings (an RFC 9162 Merkle tree, with inclusion and consistency
 * proofs, and its right edge), its entries and the rules they follow, the
 * verifiable map from each name to its current binding (proofs of presence
 * and absence, persistent versions), the checkpoints the directory signs
 * over both, and how each travels. Pure code on `node:crypto`'s SHA-256 and
 * the identity keys; the stores keep the hashes, the clients check the
 * proofs.
 *
 * @example
 * ```ts
 * import { leafHash, MemoryLog, verifyConsistency } from "./mod.ts";
 *
 * const log = new MemoryLog();
 * for (const entry of ["a", "b", "c", "d"]) log.append(leafHash(new TextEncoder().encode(entry)));
 * const proof = log.consistencyProof(2, 4);
 * console.log(verifyConsistency(2, 4, log.root(2), log.root(4), proof)); // true: append-only
 * ```
 *
 * @module
 */
export {
  completedBy,
  consistencyPath,
  EMPTY_ROOT,
  type Hash,
  HASH_LENGTH,
  inclusionPath,
  leafHash,
  MemoryLog,
  nodeHash,
  nodesFor,
  type PerfectHash,
  sha256,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from "./merkle_log.ts";
export {
  BindingMap,
  EMPTY_SUBTREE,
  mapLeafHash,
  mapPath,
  type MapProof,
  type MapTerminal,
  PATH_BITS,
  SparseMap,
  verifyMapProof,
} from "./binding_map.ts";
export {
  decodeEntry,
  decodeValue,
  encodeEntry,
  encodeValue,
  KEY_LENGTH,
  type LogEntry,
  type MapValue,
  MAX_COUNT,
  MAX_ENTRY_LENGTH,
  MAX_ENTRY_NAME,
  type RuleBroken,
  sameBytes,
  VALUE_LENGTH,
  valueAfter,
  valueOf,
} from "./log_entry.ts";
export { LogFrontier, type TreeNode } from "./log_frontier.ts";
export {
  type BindingProof,
  CHECKPOINT_BASE64_LENGTH,
  CHECKPOINT_WIRE_LENGTH,
  decodeBindingProof,
  decodeCheckpoint,
  decodeHashes,
  encodeBindingProof,
  encodeCheckpoint,
  encodeHashes,
  MAX_BINDING_PROOF_LENGTH,
  MAX_PROOF_HASHES,
  toWireBase64,
} from "./wire.ts";
export {
  CHECKPOINT_BODY_LENGTH,
  CHECKPOINT_CONTEXT,
  checkpointBody,
  type CheckpointFields,
  type CheckpointSigner,
  type CheckpointVerifier,
  signCheckpoint,
  type SignedCheckpoint,
  verifyCheckpoint,
} from "./checkpoint.ts";
