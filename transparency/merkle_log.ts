/**
 * The append-only log's Merkle tree, as RFC 9162 §2.1 defines it: leaf
 * `SHA-256(0x00 || entry)`, node `SHA-256(0x01 || left || right)`, the tree
 * head of n leaves split at the largest power of two below n, inclusion
 * proofs (§2.1.3) and consistency proofs (§2.1.4), generated and verified.
 *
 * Generation reads the tree through `perfect(level, index)`, the hash of the
 * complete subtree of 2^level leaves starting at leaf index·2^level, which
 * a store keeps for every complete subtree (about two hashes per leaf): any
 * head or proof then costs O(log n) lookups. The lookups a computation makes
 * depend only on the sizes and indices asked, never on hash values, so a
 * store that answers asynchronously can list them first (`nodesFor`), fetch
 * them in one round trip, and compute from the answers.
 *
 * @example
 * ```ts
 * import { leafHash, MemoryLog, verifyInclusion } from "./merkle_log.ts";
 *
 * const log = new MemoryLog();
 * for (const entry of ["a", "b", "c"]) log.append(leafHash(new TextEncoder().encode(entry)));
 * const proof = log.inclusionProof(1, 3);
 * console.log(verifyInclusion(log.leaf(1), 1, 3, proof, log.root(3))); // true
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";

/** Length of every hash in the tree (SHA-256). */
export const HASH_LENGTH = 32;

/** A node hash: 32 bytes. */
export type Hash = Uint8Array;

/** The hash of the complete subtree of 2^level leaves at `index` (leaves index·2^level onward). */
export type PerfectHash = (level: number, index: number) => Hash;

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

/** Where parts are joined before hashing: node:crypto costs about as much per update as per hash. */
let scratch = new Uint8Array(256);

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Hash {
  if (parts.length === 1) return bytesOf(createHash("sha256").update(parts[0]).digest());
  let length = 0;
  for (const part of parts) length += part.length;
  if (length > scratch.length) scratch = new Uint8Array(length * 2);
  let at = 0;
  for (const part of parts) {
    scratch.set(part, at);
    at += part.length;
  }
  // Hashed at once, before anything else can write the scratch buffer.
  return bytesOf(createHash("sha256").update(scratch.subarray(0, length)).digest());
}

/** A digest as a plain Uint8Array over its own memory (a view: no copy). */
function bytesOf(digest: Uint8Array): Hash {
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** The head of an empty tree: SHA-256 of nothing (RFC 9162 §2.1.1). */
export const EMPTY_ROOT: Hash = sha256();

/** A leaf's hash: SHA-256(0x00 || entry). */
export function leafHash(entry: Uint8Array): Hash {
  return sha256(LEAF_PREFIX, entry);
}

/** An interior node's hash: SHA-256(0x01 || left || right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  return sha256(NODE_PREFIX, left, right);
}

/** The largest power of two strictly below `n` (n > 1). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** log2 of a power of two. */
function levelOf(powerOfTwo: number): number {
  return Math.round(Math.log2(powerOfTwo));
}

const isPowerOfTwo = (n: number): boolean => n > 0 && 2 ** levelOf(n) === n;

/**
 * The head of leaves [lo, hi) (MTH of that range). In every range RFC
 * 9162's recursion visits, lo is a multiple of the largest power of two
 * that fits, so each complete part is one stored subtree.
 */
function rangeRoot(lo: number, hi: number, perfect: PerfectHash): Hash {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (isPowerOfTwo(n) && lo % n === 0) return perfect(levelOf(n), lo / n);
  const k = splitPoint(n);
  return nodeHash(rangeRoot(lo, lo + k, perfect), rangeRoot(lo + k, hi, perfect));
}

function checkSize(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a whole number, got ${value}`);
  }
}

/** The head of the first `size` leaves. */
export function treeRoot(size: number, perfect: PerfectHash): Hash {
  checkSize("size", size);
  return rangeRoot(0, size, perfect);
}

/** The inclusion proof of leaf `index` in the tree of `size` leaves (PATH, RFC 9162 §2.1.3.1). */
export function inclusionPath(index: number, size: number, perfect: PerfectHash): Hash[] {
  checkSize("size", size);
  if (!(index >= 0 && index < size)) {
    throw new RangeError(`Leaf ${index} is not in a tree of ${size} leaves`);
  }
  const path: Hash[] = [];
  const walk = (m: number, lo: number, hi: number): void => {
    const n = hi - lo;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, lo, lo + k);
      path.push(rangeRoot(lo + k, hi, perfect));
    } else {
      walk(m - k, lo + k, hi);
      path.push(rangeRoot(lo, lo + k, perfect));
    }
  };
  walk(index, 0, size);
  return path;
}

/**
 * The consistency proof between the tree of `oldSize` leaves and the tree of
 * `newSize` (PROOF and SUBPROOF, RFC 9162 §2.1.4.1): empty when the old tree
 * is empty or the same.
 */
export function consistencyPath(oldSize: number, newSize: number, perfect: PerfectHash): Hash[] {
  checkSize("oldSize", oldSize);
  checkSize("newSize", newSize);
  if (oldSize > newSize) throw new RangeError(`A log of ${newSize} cannot prove ${oldSize}`);
  if (oldSize === 0 || oldSize === newSize) return [];
  const proof: Hash[] = [];
  const sub = (m: number, lo: number, hi: number, whole: boolean): void => {
    const n = hi - lo;
    if (m === n) {
      if (!whole) proof.push(rangeRoot(lo, hi, perfect));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, lo, lo + k, whole);
      proof.push(rangeRoot(lo + k, hi, perfect));
    } else {
      sub(m - k, lo + k, hi, false);
      proof.push(rangeRoot(lo, lo + k, perfect));
    }
  };
  sub(oldSize, 0, newSize, true);
  return proof;
}

/**
 * The stored subtrees a computation reads, found by running it with a
 * getter that records instead of reading (the access pattern never depends
 * on hash values). `(level, index)` pairs, each once.
 */
export function nodesFor(compute: (perfect: PerfectHash) => unknown): [number, number][] {
  const seen = new Map<string, [number, number]>();
  const placeholder = new Uint8Array(HASH_LENGTH);
  compute((level, index) => {
    seen.set(`${level}/${index}`, [level, index]);
    return placeholder;
  });
  return [...seen.values()];
}

const equal = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((byte, i) => byte === b[i]);

const isHash = (h: unknown): h is Hash => h instanceof Uint8Array && h.length === HASH_LENGTH;

/**
 * Whether `proof` shows the leaf with hash `leaf` at `index` in the tree of
 * `size` leaves whose head is `root` (RFC 9162 §2.1.3.2). False for any
 * malformed input, never a throw.
 */
export function verifyInclusion(
  leaf: Hash,
  index: number,
  size: number,
  proof: readonly Hash[],
  root: Hash,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    return false;
  }
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

/**
 * Whether `proof` shows that the tree of `oldSize` leaves with head
 * `oldRoot` is a prefix of the tree of `newSize` leaves with head `newRoot`
 * (RFC 9162 §2.1.4.2). False for any malformed input, never a throw.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Hash,
  newRoot: Hash,
  proof: readonly Hash[],
): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize)) return false;
  if (oldSize < 0 || oldSize > newSize) return false;
  if (!isHash(oldRoot) || !isHash(newRoot) || !proof.every(isHash)) return false;
  if (oldSize === newSize) return proof.length === 0 && equal(oldRoot, newRoot);
  if (oldSize === 0) return proof.length === 0 && equal(oldRoot, EMPTY_ROOT);
  if (proof.length === 0) return false;
  // When the old tree is a complete subtree, its head starts the path.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return equal(fr, oldRoot) && equal(sr, newRoot) && sn === 0;
}

/**
 * A log held in memory: the leaves and every complete subtree's hash,
 * kept as leaves are appended. Stores persist the same hashes
 * (`completedBy`); clients use this to check what a directory sends.
 */
export class MemoryLog {
  /** levels[L][i]: the hash of the complete subtree of 2^L leaves at i. */
  readonly #levels: Hash[][] = [[]];

  /** Leaves appended so far. */
  get size(): number {
    return this.#levels[0].length;
  }

  /** The hash of leaf `index`. */
  leaf(index: number): Hash {
    return this.perfect(0, index);
  }

  /** The stored hash of a complete subtree; RangeError if it is not complete yet. */
  readonly perfect: PerfectHash = (level, index) => {
    const hash = this.#levels[level]?.[index];
    if (!hash) throw new RangeError(`No complete subtree ${level}/${index} in this log`);
    return hash;
  };

  /** Appends a leaf hash; returns the complete subtrees it finished, smallest first. */
  append(leaf: Hash): { level: number; index: number; hash: Hash }[] {
    const done = completedBy(this.size, leaf, this.perfect);
    for (const node of done) (this.#levels[node.level] ??= [])[node.index] = node.hash;
    return done;
  }

  /** The head of the first `size` leaves (all of them by default). */
  root(size: number = this.size): Hash {
    return treeRoot(size, this.perfect);
  }

  /** The inclusion proof of leaf `index` in the tree of `size`. */
  inclusionProof(index: number, size: number = this.size): Hash[] {
    return inclusionPath(index, size, this.perfect);
  }

  /** The consistency proof from `oldSize` to `newSize`. */
  consistencyProof(oldSize: number, newSize: number = this.size): Hash[] {
    return consistencyPath(oldSize, newSize, this.perfect);
  }
}

/**
 * The complete subtrees that appending `leaf` as leaf `index` finishes: the
 * leaf itself, then each parent whose right half it completes.
 */
export function completedBy(
  index: number,
  leaf: Hash,
  perfect: PerfectHash,
): { level: number; index: number; hash: Hash }[] {
  const done = [{ level: 0, index, hash: leaf }];
  let hash = leaf;
  for (let level = 0, i = index; i % 2 === 1; level++, i = (i - 1) / 2) {
    hash = nodeHash(perfect(level, i - 1), hash);
    done.push({ level: level + 1, index: (i - 1) / 2, hash });
  }
  return done;
}
