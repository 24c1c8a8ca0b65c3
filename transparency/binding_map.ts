/**
 * The verifiable map from each name to its current binding (docs/protocol.md
 * §15.2): a sparse Merkle tree over 256-bit paths, the SHA-256 of each
 * folded name, in which a subtree holding one leaf is that leaf's hash (so
 * a proof is about log2(names) hashes, not 256), as Google Key
 * Transparency's and Diem's trees do.
 *
 *     empty subtree   = 32 zero bytes
 *     one leaf        = SHA-256(0x02 || path (32) || SHA-256(value))
 *     two or more     = SHA-256(0x03 || left || right)
 *
 * The value is what the name is bound to (log_entry.ts encodes it: state,
 * bind count, key). A proof for a path is the sibling hashes from the root
 * down to the depth where the path's subtree holds at most one leaf, and
 * what is there: the path's own leaf (bound), nothing, or another path's
 * leaf that shares the prefix (both: not bound). The 0x02 and 0x03 prefixes
 * keep map hashes apart from each other and from the log's (0x00, 0x01), so
 * a root fixes one answer for every path.
 *
 * The tree is persistent: {@linkcode SparseMap.with} returns a new version
 * sharing every untouched subtree with the old one, and each version keeps
 * answering for itself. A directory can so compute the next checkpoint's
 * root while still proving against the current one, and a change costs
 * O(log n) nodes, hashed once, when a root or proof first asks.
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
import {
  bit,
  EMPTY_SUBTREE,
  firstDifference,
  mapLeafHash,
  mapNodeHash,
  type MapProof,
  PATH_BITS,
  samePath,
} from "./map_hash.ts";

export {
  EMPTY_SUBTREE,
  mapLeafHash,
  mapPath,
  type MapProof,
  type MapTerminal,
  PATH_BITS,
  verifyMapProof,
} from "./map_hash.ts";

/**
 * One binding: path (32) || value || leaf hash (32), in one buffer, so that
 * a name costs the map one typed array (the directory holds every name).
 */
type Leaf = { readonly leaf: true; readonly bytes: Uint8Array; hash?: Hash };

/**
 * Two or more leaves whose paths agree on their first `split` bits and
 * differ at bit `split`; `sample` is one of their leaves (its path is the
 * shared prefix). The hash at `split`, and the hash seen from the parent's
 * depth (past the one-sided levels of the prefix), are cached once asked,
 * for subtrees of CACHE_FROM leaves or more: below that, recomputing them
 * from the cached leaf hashes takes a few hashes, and memory is what a
 * directory of many names runs out of first.
 */
type Branch = {
  readonly leaf: false;
  readonly split: number;
  readonly sample: Uint8Array;
  readonly left: Node;
  readonly right: Node;
  readonly count: number;
  own?: Hash;
  /** The hash seen from the last depth above the split asked (the parent's), for cached ones. */
  above?: { readonly depth: number; readonly hash: Hash };
};

type Node = Leaf | Branch;

/** Subtrees of at least this many leaves keep their hash. */
const CACHE_FROM = 2;

const pathOf = (leaf: Leaf): Hash => leaf.bytes.subarray(0, HASH_LENGTH);
const valueOf = (leaf: Leaf): Uint8Array =>
  leaf.bytes.subarray(HASH_LENGTH, leaf.bytes.length - HASH_LENGTH);
/** The leaf's hash: a view of its buffer, made once (a root asks for it at every batch). */
const leafHashOf = (leaf: Leaf): Hash =>
  leaf.hash ??= leaf.bytes.subarray(leaf.bytes.length - HASH_LENGTH);
const sampleOf = (node: Node): Uint8Array => node.leaf ? node.bytes : node.sample;
const countOf = (node: Node): number => node.leaf ? 1 : node.count;

function newLeaf(path: Hash, value: Uint8Array): Leaf {
  const bytes = new Uint8Array(2 * HASH_LENGTH + value.length);
  bytes.set(path);
  bytes.set(value, HASH_LENGTH);
  bytes.set(mapLeafHash(path, value), HASH_LENGTH + value.length);
  return { leaf: true, bytes };
}

function branch(split: number, left: Node, right: Node): Branch {
  return {
    leaf: false,
    split,
    sample: sampleOf(left),
    left,
    right,
    count: countOf(left) + countOf(right),
  };
}

/** The branch at bit `split` over `a` and `b`, which differ there. */
function join(split: number, a: Node, b: Node): Branch {
  return bit(sampleOf(a), split) === 0 ? branch(split, a, b) : branch(split, b, a);
}

/** The hash of the subtree at `depth` whose only non-empty part is `node`. */
function hashAt(node: Node, depth: number): Hash {
  if (node.leaf) return leafHashOf(node);
  if (node.above?.depth === depth) return node.above.hash;
  let hash = node.own ??
    mapNodeHash(hashAt(node.left, node.split + 1), hashAt(node.right, node.split + 1));
  const cached = node.count >= CACHE_FROM;
  if (cached) node.own = hash;
  // Above the split, each level holds the branch on one side and nothing on the other.
  for (let i = node.split - 1; i >= depth; i--) {
    hash = bit(node.sample, i) === 1
      ? mapNodeHash(EMPTY_SUBTREE, hash)
      : mapNodeHash(hash, EMPTY_SUBTREE);
  }
  if (cached && depth < node.split) node.above = { depth, hash };
  return hash;
}

function insert(node: Node | undefined, path: Hash, value: Uint8Array, depth: number): Node {
  if (node === undefined) return newLeaf(path, value);
  if (node.leaf) {
    const at = firstDifference(node.bytes, path, depth, PATH_BITS);
    return at === -1 ? newLeaf(path, value) : join(at, node, newLeaf(path, value));
  }
  const at = firstDifference(node.sample, path, depth, node.split);
  if (at !== -1) return join(at, node, newLeaf(path, value));
  const right = bit(path, node.split) === 1;
  const child = insert(right ? node.right : node.left, path, value, node.split + 1);
  return right ? branch(node.split, node.left, child) : branch(node.split, child, node.right);
}

/** `node` without `path` (undefined when it held only that), or `node` itself when absent. */
function remove(node: Node, path: Hash, depth: number): Node | undefined {
  if (node.leaf) return samePath(node.bytes, path) ? undefined : node;
  if (firstDifference(node.sample, path, depth, node.split) !== -1) return node;
  const right = bit(path, node.split) === 1;
  const child = right ? node.right : node.left;
  const after = remove(child, path, node.split + 1);
  if (after === child) return node;
  const other = right ? node.left : node.right;
  if (after === undefined) return other;
  return right ? branch(node.split, node.left, after) : branch(node.split, after, node.right);
}

/** The tree over `leaves` [lo, hi), sorted by path, that agree on their first `depth` bits. */
function build(leaves: Leaf[], lo: number, hi: number, depth: number): Node | undefined {
  if (hi - lo === 0) return undefined;
  if (hi - lo === 1) return leaves[lo];
  const split = firstDifference(leaves[lo].bytes, leaves[hi - 1].bytes, depth, PATH_BITS);
  // Sorted: every leaf with bit `split` clear comes before every leaf with it set.
  let mid = lo;
  let top = hi;
  while (mid < top) {
    const m = (mid + top) >>> 1;
    if (bit(leaves[m].bytes, split) === 0) mid = m + 1;
    else top = m;
  }
  return branch(split, build(leaves, lo, mid, split + 1)!, build(leaves, mid, hi, split + 1)!);
}

function comparePaths(a: Leaf, b: Leaf): number {
  for (let i = 0; i < HASH_LENGTH; i++) {
    if (a.bytes[i] !== b.bytes[i]) return a.bytes[i] - b.bytes[i];
  }
  return 0;
}

/** One version of the map; never changes once made. */
export class SparseMap {
  /** The map with nothing in it. */
  static readonly EMPTY: SparseMap = new SparseMap(undefined, 0);

  readonly #top: Node | undefined;
  /** How many paths are bound. */
  readonly size: number;

  private constructor(top: Node | undefined, size: number) {
    this.#top = top;
    this.size = size;
  }

  /**
   * The map holding `bindings` (distinct paths), built in one pass: what a
   * directory rebuilds from its log at start, far faster than one change
   * at a time.
   */
  static of(bindings: Iterable<readonly [Hash, Uint8Array]>): SparseMap {
    const leaves = [...bindings].map(([path, value]) => newLeaf(path, value)).sort(comparePaths);
    for (let i = 1; i < leaves.length; i++) {
      if (comparePaths(leaves[i - 1], leaves[i]) === 0) {
        throw new RangeError("A path is bound once in a map");
      }
    }
    return new SparseMap(build(leaves, 0, leaves.length, 0), leaves.length);
  }

  /** What `path` is bound to, or null (a view: do not change it). */
  get(path: Hash): Uint8Array | null {
    let node = this.#top;
    while (node !== undefined && !node.leaf) {
      node = bit(path, node.split) === 1 ? node.right : node.left;
    }
    return node !== undefined && samePath(node.bytes, path) ? valueOf(node) : null;
  }

  /** This map with `path` bound to `value` (replacing what it held). */
  with(path: Hash, value: Uint8Array): SparseMap {
    const had = this.get(path) !== null;
    return new SparseMap(insert(this.#top, path, value, 0), had ? this.size : this.size + 1);
  }

  /** This map without `path` (itself when `path` held nothing). */
  without(path: Hash): SparseMap {
    if (this.#top === undefined || this.get(path) === null) return this;
    return new SparseMap(remove(this.#top, path, 0), this.size - 1);
  }

  /** The root hash over every binding. */
  root(): Hash {
    return this.#top === undefined ? EMPTY_SUBTREE : hashAt(this.#top, 0);
  }

  /** The proof of what `path` holds: bound (to get(path)) or not. */
  prove(path: Hash): MapProof {
    const siblings: Hash[] = [];
    let node = this.#top;
    let depth = 0;
    while (node !== undefined && !node.leaf) {
      const leaves = firstDifference(node.sample, path, depth, node.split);
      // Down the prefix every level holds the branch on one side and nothing on the other.
      for (let i = depth; i < (leaves === -1 ? node.split : leaves); i++) {
        siblings.push(EMPTY_SUBTREE);
      }
      if (leaves !== -1) {
        siblings.push(hashAt(node, leaves + 1));
        return { siblings, terminal: { kind: "empty" } };
      }
      const right = bit(path, node.split) === 1;
      siblings.push(hashAt(right ? node.left : node.right, node.split + 1));
      depth = node.split + 1;
      node = right ? node.right : node.left;
    }
    if (node === undefined) return { siblings, terminal: { kind: "empty" } };
    if (samePath(node.bytes, path)) return { siblings, terminal: { kind: "leaf" } };
    return {
      siblings,
      terminal: { kind: "other", path: pathOf(node).slice(), valueHash: sha256(valueOf(node)) },
    };
  }

  /** Every binding, in path order (views: do not change them). */
  *entries(): Generator<[Hash, Uint8Array]> {
    const stack: Node[] = this.#top === undefined ? [] : [this.#top];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node.leaf) yield [pathOf(node), valueOf(node)];
      else stack.push(node.right, node.left);
    }
  }
}

/** The map as one changing value: each change makes a new version ({@linkcode SparseMap}). */
export class BindingMap {
  #current: SparseMap = SparseMap.EMPTY;

  /** The version now: it keeps answering as it is, whatever changes later. */
  get version(): SparseMap {
    return this.#current;
  }

  /** How many paths are bound. */
  get size(): number {
    return this.#current.size;
  }

  /** Binds `path` to `value` (replacing what it held). */
  set(path: Hash, value: Uint8Array): void {
    this.#current = this.#current.with(path, value);
  }

  /** Unbinds `path` (nothing if it held nothing). */
  delete(path: Hash): void {
    this.#current = this.#current.without(path);
  }

  /** What `path` is bound to, or null. */
  get(path: Hash): Uint8Array | null {
    return this.#current.get(path);
  }

  /** The root hash over every binding. */
  root(): Hash {
    return this.#current.root();
  }

  /** The proof of what `path` holds: bound (to get(path)) or not. */
  prove(path: Hash): MapProof {
    return this.#current.prove(path);
  }
}
