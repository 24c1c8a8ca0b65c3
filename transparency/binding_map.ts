/**
 * The verifiable map from each name to its current key (docs/protocol.md
 * §13.2): a sparse Merkle tree over 256-bit paths, the SHA-256 of each
 * folded name, in which a subtree holding one leaf is that leaf's hash (so
 * a proof is about log2(names) hashes, not 256), as Google Key
 * Transparency's and Diem's trees do.
 *
 *     empty subtree   = 32 zero bytes
 *     one leaf        = SHA-256(0x02 || path (32) || value (32))
 *     two or more     = SHA-256(0x03 || left || right)
 *
 * The value is the SHA-256 of what the name is bound to (its Ed25519 key).
 * A proof for a path is the sibling hashes from the root down to the depth
 * where the path's subtree holds at most one leaf, and what is there: the
 * path's own leaf (bound), nothing, or another path's leaf that shares the
 * prefix (both: not bound). The 0x02 and 0x03 prefixes keep map hashes apart
 * from each other and from the log's (0x00, 0x01), so a root fixes one
 * answer for every path.
 *
 * @example
 * ```ts
 * import { BindingMap, mapPath, verifyMapProof } from "./binding_map.ts";
 *
 * const map = new BindingMap();
 * const key = new Uint8Array(32).fill(7);
 * map.set(mapPath("alice"), key);
 * const proof = map.prove(mapPath("alice"));
 * console.log(verifyMapProof(map.root(), mapPath("alice"), key, proof)); // true
 * console.log(verifyMapProof(map.root(), mapPath("bob"), null, map.prove(mapPath("bob")))); // true
 * ```
 *
 * @module
 */
import { type Hash, HASH_LENGTH, sha256 } from "./merkle_log.ts";

/** Bits in a path: one per level of the full tree. */
export const PATH_BITS = 256;
/** The hash of an empty subtree. */
export const EMPTY_SUBTREE: Hash = new Uint8Array(HASH_LENGTH);

const LEAF = new Uint8Array([0x02]);
const NODE = new Uint8Array([0x03]);

/** Where a name sits in the map: SHA-256 of its folded (lower-case) form. */
export function mapPath(folded: string): Hash {
  return sha256(new TextEncoder().encode(folded));
}

/** A leaf's hash: SHA-256(0x02 || path || SHA-256(value)). */
export function mapLeafHash(path: Hash, value: Uint8Array): Hash {
  return sha256(LEAF, path, sha256(value));
}

function mapNodeHash(left: Hash, right: Hash): Hash {
  return sha256(NODE, left, right);
}

/** Bit `i` of a path, most significant first. */
function bit(path: Hash, i: number): number {
  return (path[i >> 3] >> (7 - (i & 7))) & 1;
}

/** Whether `a` and `b` agree on their first `bits` bits. */
function sharePrefix(a: Hash, b: Hash, bits: number): boolean {
  for (let i = 0; i < bits; i++) if (bit(a, i) !== bit(b, i)) return false;
  return true;
}

/** What ends a proof: the path's own leaf, nothing, or another path's leaf in its place. */
export type MapTerminal =
  | { readonly kind: "leaf" }
  | { readonly kind: "empty" }
  | { readonly kind: "other"; readonly path: Hash; readonly valueHash: Hash };

/** A proof of what a path holds in the map whose root it is checked against. */
export type MapProof = { readonly siblings: readonly Hash[]; readonly terminal: MapTerminal };

type Leaf = { readonly path: Hash; readonly value: Uint8Array; readonly hash: Hash };

const hexOf = (path: Hash): string =>
  Array.from(path, (b) => b.toString(16).padStart(2, "0")).join("");

/** The map, in memory: leaves by path, and subtree hashes cached until a leaf under them changes. */
export class BindingMap {
  readonly #leaves = new Map<string, Leaf>();
  #sorted: Leaf[] | undefined;
  readonly #cache = new Map<string, Hash>();

  /** How many paths are bound. */
  get size(): number {
    return this.#leaves.size;
  }

  /** Binds `path` to `value` (replacing what it held). */
  set(path: Hash, value: Uint8Array): void {
    this.#leaves.set(hexOf(path), { path, value: value.slice(), hash: mapLeafHash(path, value) });
    this.#changed(path);
  }

  /** Unbinds `path` (nothing if it held nothing). */
  delete(path: Hash): void {
    if (this.#leaves.delete(hexOf(path))) this.#changed(path);
  }

  /** What `path` is bound to, or null. */
  get(path: Hash): Uint8Array | null {
    return this.#leaves.get(hexOf(path))?.value ?? null;
  }

  /** The root hash over every binding. */
  root(): Hash {
    const leaves = this.#ordered();
    return this.#hash(leaves, 0, leaves.length, 0, "");
  }

  /** The proof of what `path` holds: bound (to get(path)) or not. */
  prove(path: Hash): MapProof {
    const leaves = this.#ordered();
    const siblings: Hash[] = [];
    let [lo, hi] = [0, leaves.length];
    let prefix = "";
    for (let depth = 0; hi - lo >= 2; depth++) {
      const split = this.#split(leaves, lo, hi, depth);
      const goRight = bit(path, depth) === 1;
      siblings.push(
        goRight
          ? this.#hash(leaves, lo, split, depth + 1, prefix + "0")
          : this.#hash(leaves, split, hi, depth + 1, prefix + "1"),
      );
      [lo, hi] = goRight ? [split, hi] : [lo, split];
      prefix += goRight ? "1" : "0";
    }
    if (hi - lo === 0) return { siblings, terminal: { kind: "empty" } };
    const only = leaves[lo];
    if (hexOf(only.path) === hexOf(path)) return { siblings, terminal: { kind: "leaf" } };
    return {
      siblings,
      terminal: { kind: "other", path: only.path, valueHash: sha256(only.value) },
    };
  }

  #ordered(): Leaf[] {
    this.#sorted ??= [...this.#leaves.entries()].sort(([a], [b]) => a < b ? -1 : 1).map(([, l]) =>
      l
    );
    return this.#sorted;
  }

  /** The first index in [lo, hi) whose path has bit `depth` set (leaves are sorted by path). */
  #split(leaves: Leaf[], lo: number, hi: number, depth: number): number {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bit(leaves[mid].path, depth) === 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The hash of the subtree at `prefix` (depth bits) holding leaves [lo, hi). */
  #hash(leaves: Leaf[], lo: number, hi: number, depth: number, prefix: string): Hash {
    if (hi - lo === 0) return EMPTY_SUBTREE;
    if (hi - lo === 1) return leaves[lo].hash;
    const cached = this.#cache.get(prefix);
    if (cached) return cached;
    const split = this.#split(leaves, lo, hi, depth);
    const hash = mapNodeHash(
      this.#hash(leaves, lo, split, depth + 1, prefix + "0"),
      this.#hash(leaves, split, hi, depth + 1, prefix + "1"),
    );
    this.#cache.set(prefix, hash);
    return hash;
  }

  /** Forgets the cached hashes of every subtree above `path`. */
  #changed(path: Hash): void {
    this.#sorted = undefined;
    let prefix = "";
    this.#cache.delete(prefix);
    for (let depth = 0; depth < PATH_BITS; depth++) {
      prefix += bit(path, depth) ? "1" : "0";
      this.#cache.delete(prefix);
    }
  }
}

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
      if (hexOf(terminal.path) === hexOf(path) || !sharePrefix(terminal.path, path, depth)) {
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
