/**
 * The binding map's hashes and proofs (docs/protocol.md §15.2), apart from
 * the tree that keeps them (binding_map.ts): a name's path, the hash of a
 * leaf and of a node, the bits of a path, and the check of a proof, which
 * is all a client needs.
 *
 *     empty subtree   = 32 zero bytes
 *     one leaf        = SHA-256(0x02 || path (32) || SHA-256(value))
 *     two or more     = SHA-256(0x03 || left || right)
 *
 * @example
 * ```ts
 * import { EMPTY_SUBTREE, mapPath, verifyMapProof } from "./map_hash.ts";
 *
 * const empty = { siblings: [], terminal: { kind: "empty" } } as const;
 * console.log(verifyMapProof(EMPTY_SUBTREE, mapPath("bob"), null, empty)); // true: nobody is bound
 * ```
 *
 * @module
 */
import { type Hash, HASH_LENGTH, sha256 } from "./merkle_log.ts";

/** Bits in a path: one per level of the full tree. */
export const PATH_BITS = 256;
/** The hash of an empty subtree. */
export const EMPTY_SUBTREE: Hash = new Uint8Array(HASH_LENGTH);

/** Domain separation: a leaf's hash starts with 0x02, a node's with 0x03 (the log's: 0x00, 0x01). */
const LEAF = new Uint8Array([0x02]);
const NODE = new Uint8Array([0x03]);

/** Paths computed lately, by name: a directory asks for one name's path several times a request. */
const recentPaths = new Map<string, Hash>();
/** Names whose paths are remembered, at most. */
const RECENT_PATHS = 4_096;
const encoder = new TextEncoder();

/** Where a name sits in the map: SHA-256 of its folded (lower-case) form (do not change it). */
export function mapPath(folded: string): Hash {
  let path = recentPaths.get(folded);
  if (path === undefined) {
    path = sha256(encoder.encode(folded));
    if (recentPaths.size >= RECENT_PATHS) recentPaths.clear();
    recentPaths.set(folded, path);
  }
  return path;
}

/** A leaf's hash: SHA-256(0x02 || path || SHA-256(value)). */
export function mapLeafHash(path: Hash, value: Uint8Array): Hash {
  return sha256(LEAF, path, sha256(value));
}

/** A node's hash: SHA-256(0x03 || left || right). */
export function mapNodeHash(left: Hash, right: Hash): Hash {
  return sha256(NODE, left, right);
}

/** Bit `i` of a path, most significant first. */
export function bit(path: Hash, i: number): number {
  return (path[i >> 3] >> (7 - (i & 7))) & 1;
}

/** The first bit in [from, limit) where `a` and `b` differ, or -1. */
export function firstDifference(a: Hash, b: Hash, from: number, limit: number): number {
  for (let i = from; i < limit; i++) {
    if ((i & 7) === 0 && limit - i >= 8 && a[i >> 3] === b[i >> 3]) {
      i += 7;
      continue;
    }
    if (bit(a, i) !== bit(b, i)) return i;
  }
  return -1;
}

/** Whether `a` and `b` agree on their first `bits` bits. */
function sharePrefix(a: Hash, b: Hash, bits: number): boolean {
  return firstDifference(a, b, 0, bits) === -1;
}

/** Whether two paths are the same. */
export const samePath = (a: Hash, b: Hash): boolean => firstDifference(a, b, 0, PATH_BITS) === -1;

/** What ends a proof: the path's own leaf, nothing, or another path's leaf in its place. */
export type MapTerminal =
  | { readonly kind: "leaf" }
  | { readonly kind: "empty" }
  | { readonly kind: "other"; readonly path: Hash; readonly valueHash: Hash };

/** A proof of what a path holds in the map whose root it is checked against. */
export type MapProof = { readonly siblings: readonly Hash[]; readonly terminal: MapTerminal };

const isHash = (h: unknown): h is Hash => h instanceof Uint8Array && h.length === HASH_LENGTH;

/**
 * Whether `proof` shows that `path` holds `value` (null: holds nothing) in
 * the map whose root is `root`. False for anything malformed, never a
 * throw: a proof deeper than the tree, another path's leaf that does not
 * share the prefix, hashes of the wrong length.
 */
export function verifyMapProof(
  root: Hash,
  path: Hash,
  value: Uint8Array | null,
  proof: MapProof,
): boolean {
  if (!isHash(root) || !isHash(path) || !Array.isArray(proof?.siblings)) return false;
  const { siblings, terminal } = proof;
  const depth = siblings.length;
  if (depth > PATH_BITS || !siblings.every(isHash)) return false;
  let hash: Hash;
  switch (terminal?.kind) {
    case "leaf":
      if (value === null) return false;
      hash = mapLeafHash(path, value);
      break;
    case "empty":
      if (value !== null) return false;
      hash = EMPTY_SUBTREE;
      break;
    case "other":
      if (value !== null || !isHash(terminal.path) || !isHash(terminal.valueHash)) return false;
      // Another leaf can stand in the path's place only if it shares the path's prefix.
      if (samePath(terminal.path, path) || !sharePrefix(terminal.path, path, depth)) {
        return false;
      }
      hash = sha256(LEAF, terminal.path, terminal.valueHash);
      break;
    default:
      return false;
  }
  for (let i = depth - 1; i >= 0; i--) {
    hash = bit(path, i) === 1 ? mapNodeHash(siblings[i], hash) : mapNodeHash(hash, siblings[i]);
  }
  return hash.every((byte, i) => byte === root[i]);
}
