/**
 * One sealed state of the directory's key-transparency log, in memory
 * (docs/protocol.md §15): the latest checkpoint, the log's right edge, the
 * binding map at that size and where each name's entries are. Built by
 * replaying the stored entries at start, extended a batch at a time, and
 * replaced whole, so that a proof always comes from one state (the index
 * of each name's entries is shared by the states, each reading what is
 * below its size).
 *
 * @module
 */
import {
  decodeEntry,
  decodeValue,
  EMPTY_ROOT,
  EMPTY_SUBTREE,
  encodeBindingProof,
  encodeCheckpoint,
  encodeValue,
  type Hash,
  leafHash,
  type LogEntry,
  LogFrontier,
  mapPath,
  type MapValue,
  type RuleBroken,
  sameBytes,
  type SignedCheckpoint,
  SparseMap,
  type TreeNode,
  valueAfter,
  valueOf,
} from "../../transparency/mod.ts";

/** Where a name's entries are in the log (indices, oldest first). */
export type History = ReadonlyMap<string, readonly number[]>;

/** What replaying entries found wrong: an entry that does not decode, or breaks a rule. */
export type LogFault = { readonly index: number; readonly fault: RuleBroken | "undecodable" };

/** A log extended by a batch, not yet stored: what to store and the state it makes. */
export type Extension = {
  readonly nodes: TreeNode[];
  readonly size: number;
  readonly logRoot: Hash;
  readonly mapRoot: Hash;
  readonly faults: LogFault[];
  /** Whether `checkpoint` states these roots. */
  matches(checkpoint: SignedCheckpoint): boolean;
  /** The state once the batch is stored under a checkpoint signed over these roots. */
  make(checkpoint: SignedCheckpoint): LogState;
};

/** A sealed state: immutable; extend() and replay make new ones. */
export class LogState {
  /** The checkpoint signed over this state. */
  readonly checkpoint: SignedCheckpoint;
  /** The map at the checkpoint's size. */
  readonly map: SparseMap;
  readonly #edge: LogFrontier;
  readonly #history: Map<string, number[]>;

  private constructor(
    checkpoint: SignedCheckpoint,
    map: SparseMap,
    edge: LogFrontier,
    history: Map<string, number[]>,
  ) {
    this.checkpoint = checkpoint;
    this.map = map;
    this.#edge = edge;
    this.#history = history;
  }

  /** The state of an empty log, under `checkpoint` (size 0). */
  static empty(checkpoint: SignedCheckpoint): LogState {
    return new LogState(checkpoint, SparseMap.EMPTY, new LogFrontier(), new Map());
  }

  /** The roots of an empty log and map. */
  static readonly EMPTY_ROOTS = { logRoot: EMPTY_ROOT, mapRoot: EMPTY_SUBTREE } as const;

  /**
   * Replays `entries` (the first checkpoint.size of the log) with the edge
   * read from stored nodes (`edge`); also says whether the roots come out
   * as the checkpoint states, and which entries break the rules.
   */
  static replay(
    checkpoint: SignedCheckpoint,
    entries: readonly Uint8Array[],
    edge: LogFrontier,
  ): { state: LogState; matches: boolean; faults: LogFault[] } {
    const values = new Map<string, MapValue>();
    const history = new Map<string, number[]>();
    const faults: LogFault[] = [];
    entries.forEach((bytes, index) => {
      const entry = decodeEntry(bytes);
      if (!entry) return void faults.push({ index, fault: "undecodable" });
      const after = valueAfter(values.get(entry.name) ?? null, entry);
      if ("broken" in after) faults.push({ index, fault: after.broken });
      values.set(entry.name, valueOf(entry));
      const list = history.get(entry.name);
      if (list) list.push(index);
      else history.set(entry.name, [index]);
    });
    const map = SparseMap.of(
      [...values].map(([name, value]) => [mapPath(name), encodeValue(value)] as const),
    );
    const matches = edge.size === checkpoint.size &&
      sameBytes(edge.root(), checkpoint.logRoot) && sameBytes(map.root(), checkpoint.mapRoot);
    return { state: new LogState(checkpoint, map, edge, history), matches, faults };
  }

  /** Entries in the log at this state. */
  get size(): number {
    return this.checkpoint.size;
  }

  #wire: string | undefined;

  /** The checkpoint as it travels (made once). */
  get wire(): string {
    return this.#wire ??= encodeCheckpoint(this.checkpoint);
  }

  /** What the map says of the folded `name` now (or of the map path `path`, when known). */
  value(name: string, path: Uint8Array = mapPath(name)): MapValue | null {
    const bytes = this.map.get(path);
    return bytes === null ? null : decodeValue(bytes);
  }

  /** Whether the map shows the folded `name` bound to `key` (any answer, with no key asked). */
  shows(name: string, key?: Uint8Array): boolean {
    if (key === undefined) return true;
    const value = this.value(name);
    return value?.state === "bound" && sameBytes(value.key, key);
  }

  /** The binding proof of the folded `name` in this state, as it travels. */
  proof(name: string): string {
    const path = mapPath(name);
    return encodeBindingProof({ value: this.value(name, path), proof: this.map.prove(path) });
  }

  /** The indices of `name`'s entries in this state, oldest first. */
  historyOf(name: string): readonly number[] {
    const all = this.#history.get(name) ?? [];
    return all.length > 0 && all[all.length - 1] >= this.size
      ? all.filter((index) => index < this.size)
      : all;
  }

  /** This state with `batch` (the next entries) appended: the nodes to store and the new roots. */
  extend(batch: readonly Uint8Array[]): Extension {
    const edge = this.#edge.clone();
    const nodes: TreeNode[] = [];
    const faults: LogFault[] = [];
    let map = this.map;
    const added: [string, number][] = [];
    batch.forEach((bytes, i) => {
      const index = this.size + i;
      for (const node of edge.append(leafHash(bytes))) if (node.level > 0) nodes.push(node);
      const entry: LogEntry | null = decodeEntry(bytes);
      if (!entry) return void faults.push({ index, fault: "undecodable" });
      const path = mapPath(entry.name);
      const before = map.get(path);
      const after = valueAfter(before === null ? null : decodeValue(before), entry);
      if ("broken" in after) faults.push({ index, fault: after.broken });
      map = map.with(path, encodeValue(valueOf(entry)));
      added.push([entry.name, index]);
    });
    const mapRoot = map.root();
    const logRoot = edge.root();
    return {
      nodes,
      size: edge.size,
      logRoot,
      mapRoot,
      faults,
      matches: (checkpoint) =>
        checkpoint.size === edge.size && sameBytes(checkpoint.logRoot, logRoot) &&
        sameBytes(checkpoint.mapRoot, mapRoot),
      make: (checkpoint) => {
        // One index for every state: an older state reads only the indices below its size.
        for (const [name, index] of added) {
          const list = this.#history.get(name);
          if (list) list.push(index);
          else this.#history.set(name, [index]);
        }
        return new LogState(checkpoint, map, edge, this.#history);
      },
    };
  }
}
