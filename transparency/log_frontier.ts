/**
 * The right edge of a log (a compact range, as RFC 9162 §2.1.2 builds the
 * head): the hash of each complete subtree that no later leaf will join,
 * at most one per level, so about log2(n) hashes for n leaves. Appending a
 * leaf folds equal levels together, which gives exactly the nodes the
 * append completes; the head is the fold of the edge from the smallest
 * subtree up. The directory keeps one to extend its log a batch at a time,
 * and an auditor keeps one to check a log from where it left off without
 * holding the rest.
 *
 * @example
 * ```ts
 * import { leafHash, MemoryLog } from "./merkle_log.ts";
 * import { LogFrontier } from "./log_frontier.ts";
 *
 * const log = new MemoryLog();
 * const edge = new LogFrontier();
 * for (const entry of ["a", "b", "c"]) {
 *   const leaf = leafHash(new TextEncoder().encode(entry));
 *   log.append(leaf);
 *   edge.append(leaf);
 * }
 * console.log(edge.root().every((b, i) => b === log.root()[i])); // true
 * ```
 *
 * @module
 */
import { EMPTY_ROOT, type Hash, HASH_LENGTH, nodeHash, type PerfectHash } from "./merkle_log.ts";

/** A complete subtree: 2^level leaves starting at leaf index * 2^level. */
export type TreeNode = { readonly level: number; readonly index: number; readonly hash: Hash };

/** The complete subtrees on a log's right edge, largest first. */
export class LogFrontier {
  #size: number;
  readonly #edge: TreeNode[];

  /** The edge of an empty log, or of one of `size` leaves whose edge is `edge` (largest first). */
  constructor(size = 0, edge: readonly TreeNode[] = []) {
    this.#size = size;
    this.#edge = [...edge];
  }

  /** The nodes the edge of a log of `size` leaves is made of, largest first: what to load. */
  static nodesOf(size: number): [number, number][] {
    const nodes: [number, number][] = [];
    for (let level = 52; level >= 0; level--) {
      if (Math.floor(size / 2 ** level) % 2 === 1) {
        nodes.push([level, Math.floor(size / 2 ** level) - 1]);
      }
    }
    return nodes;
  }

  /** The edge of a log of `size` leaves, read through `perfect`. */
  static of(size: number, perfect: PerfectHash): LogFrontier {
    const edge = LogFrontier.nodesOf(size).map(([level, index]) => ({
      level,
      index,
      hash: perfect(level, index),
    }));
    return new LogFrontier(size, edge);
  }

  /** Leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /** The edge's nodes, largest first. */
  get edge(): readonly TreeNode[] {
    return this.#edge;
  }

  /** Appends a leaf hash; returns the complete subtrees it finished, the leaf first. */
  append(leaf: Hash): TreeNode[] {
    if (leaf.length !== HASH_LENGTH) throw new RangeError("A leaf hash is 32 bytes");
    let node: TreeNode = { level: 0, index: this.#size, hash: leaf };
    const done = [node];
    while (this.#edge.length > 0 && this.#edge[this.#edge.length - 1].level === node.level) {
      const left = this.#edge.pop()!;
      node = {
        level: node.level + 1,
        index: left.index / 2,
        hash: nodeHash(left.hash, node.hash),
      };
      done.push(node);
    }
    this.#edge.push(node);
    this.#size++;
    return done;
  }

  /** The head of the log so far. */
  root(): Hash {
    if (this.#edge.length === 0) return EMPTY_ROOT;
    let hash = this.#edge[this.#edge.length - 1].hash;
    for (let i = this.#edge.length - 2; i >= 0; i--) hash = nodeHash(this.#edge[i].hash, hash);
    return hash;
  }

  /** A copy that changes apart from this one. */
  clone(): LogFrontier {
    return new LogFrontier(this.#size, this.#edge);
  }
}
