/**
 * The key-transparency log of a single-process directory (docs/protocol.md
 * §15.5): in three tables of directory.sqlite, beside the bindings, so that
 * the name store appends an entry in the transaction that writes the
 * binding it logs, and no entry is lost or reordered however the process
 * ends. Also kept in memory, for tests.
 *
 * - `log_entries`: idx -> the entry's bytes (log_entry.ts);
 * - `log_nodes`: the hash of every complete subtree of two leaves or more,
 *   keyed by index * 64 + level (a leaf's hash is its entry's, recomputed);
 * - `log_checkpoint`: the latest signed checkpoint, one row.
 *
 * @module
 */
import type { StatementSync } from "node:sqlite";
import {
  decodeCheckpoint,
  encodeCheckpoint,
  type Hash,
  type SignedCheckpoint,
  type TreeNode,
} from "../../transparency/mod.ts";
import type { DirectoryDatabase } from "./sqlite_database.ts";

/** Where the log is kept: the stores implement it (this file for SQLite, redis_log_store.ts). */
export interface LogBackend {
  /** The latest checkpoint stored and how many entries are appended, sealed or not. */
  read(): Promise<{ checkpoint?: SignedCheckpoint; appended: number }>;
  /** Entries [from, to). */
  entries(from: number, to: number): Promise<Uint8Array[]>;
  /** The entries at `indices`, in the order asked. */
  entriesAt(indices: readonly number[]): Promise<Uint8Array[]>;
  /** Stored interior nodes (level 1 and up), in the order asked. */
  nodes(ids: readonly (readonly [number, number])[]): Promise<Hash[]>;
  /**
   * Stores a batch's nodes and its checkpoint if the sealed size is still
   * `from`; false when another instance sealed first.
   */
  seal(from: number, nodes: readonly TreeNode[], checkpoint: SignedCheckpoint): Promise<boolean>;
}

/** Entries a store writes with a binding: the entries' bytes, the first at index `from`. */
export type LoggedEntries = { readonly from: number; readonly entries: readonly Uint8Array[] };

/** The log as one process keeps it: synchronous, so it can join the name store's transactions. */
export interface LocalLogStore {
  /** How many entries are appended, sealed or not. */
  appended(): number;
  /** The latest checkpoint sealed, if any. */
  checkpoint(): SignedCheckpoint | undefined;
  /** Entries [from, to). */
  entries(from: number, to: number): Uint8Array[];
  /** The entries at `indices`. */
  entriesAt(indices: readonly number[]): Uint8Array[];
  /** Stored interior nodes, in the order asked. */
  nodes(ids: readonly (readonly [number, number])[]): Hash[];
  /** Writes `logged` (inside the caller's transaction, when it has one). */
  insert(logged: LoggedEntries): void;
  /** Stores a batch's nodes and checkpoint if the sealed size is still `from` (one transaction). */
  seal(from: number, nodes: readonly TreeNode[], checkpoint: SignedCheckpoint): boolean;
}

/** A node's key: one integer per complete subtree. */
const nodeId = (level: number, index: number): number => index * 64 + level;

/** The log in the directory's SQLite database. */
export class SqliteLogStore implements LocalLogStore {
  readonly #database: DirectoryDatabase;
  readonly #count: StatementSync;
  readonly #checkpoint: StatementSync;
  readonly #range: StatementSync;
  readonly #one: StatementSync;
  readonly #insert: StatementSync;
  readonly #node: StatementSync;
  readonly #putNode: StatementSync;
  readonly #putCheckpoint: StatementSync;

  /** The log in `database` (its tables are made with the database's). */
  constructor(database: DirectoryDatabase) {
    this.#database = database;
    const db = database.db;
    this.#count = db.prepare("SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM log_entries");
    this.#checkpoint = db.prepare("SELECT size, checkpoint FROM log_checkpoint WHERE one = 1");
    this.#range = db.prepare(
      "SELECT idx, entry FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx",
    );
    this.#one = db.prepare("SELECT entry FROM log_entries WHERE idx = ?");
    this.#insert = db.prepare("INSERT INTO log_entries (idx, entry) VALUES (?, ?)");
    this.#node = db.prepare("SELECT hash FROM log_nodes WHERE id = ?");
    this.#putNode = db.prepare("INSERT OR REPLACE INTO log_nodes (id, hash) VALUES (?, ?)");
    this.#putCheckpoint = db.prepare(
      "INSERT INTO log_checkpoint (one, size, checkpoint) VALUES (1, ?, ?) " +
        "ON CONFLICT(one) DO UPDATE SET size = excluded.size, checkpoint = excluded.checkpoint",
    );
  }

  appended(): number {
    return Number((this.#count.get() as { n: number }).n);
  }

  checkpoint(): SignedCheckpoint | undefined {
    const row = this.#checkpoint.get() as { checkpoint: string } | undefined;
    return row ? decodeCheckpoint(row.checkpoint) ?? undefined : undefined;
  }

  entries(from: number, to: number): Uint8Array[] {
    const rows = this.#range.all(from, to) as { idx: number; entry: Uint8Array }[];
    return rows.map((row) => new Uint8Array(row.entry));
  }

  entriesAt(indices: readonly number[]): Uint8Array[] {
    return indices.map((index) => {
      const row = this.#one.get(index) as { entry: Uint8Array } | undefined;
      if (!row) throw new RangeError(`The log has no entry ${index}`);
      return new Uint8Array(row.entry);
    });
  }

  nodes(ids: readonly (readonly [number, number])[]): Hash[] {
    return ids.map(([level, index]) => {
      const row = this.#node.get(nodeId(level, index)) as { hash: Uint8Array } | undefined;
      if (!row) throw new RangeError(`The log has no node ${level}/${index}`);
      return new Uint8Array(row.hash);
    });
  }

  insert(logged: LoggedEntries): void {
    logged.entries.forEach((entry, i) => this.#insert.run(logged.from + i, entry));
  }

  seal(from: number, nodes: readonly TreeNode[], checkpoint: SignedCheckpoint): boolean {
    return this.#database.transaction(() => {
      const sealed = this.#checkpoint.get() as { size: number } | undefined;
      if (Number(sealed?.size ?? 0) !== from) return false;
      for (const node of nodes) this.#putNode.run(nodeId(node.level, node.index), node.hash);
      this.#putCheckpoint.run(checkpoint.size, encodeCheckpoint(checkpoint));
      return true;
    });
  }
}

/** The log in memory (with MemoryNameStore, for tests). */
export class MemoryLogStore implements LocalLogStore {
  readonly #entries: Uint8Array[] = [];
  readonly #nodes = new Map<number, Hash>();
  #checkpoint: SignedCheckpoint | undefined;

  appended(): number {
    return this.#entries.length;
  }

  checkpoint(): SignedCheckpoint | undefined {
    return this.#checkpoint;
  }

  entries(from: number, to: number): Uint8Array[] {
    return this.#entries.slice(from, to);
  }

  entriesAt(indices: readonly number[]): Uint8Array[] {
    return indices.map((index) => this.#entries[index]);
  }

  nodes(ids: readonly (readonly [number, number])[]): Hash[] {
    return ids.map(([level, index]) => {
      const hash = this.#nodes.get(nodeId(level, index));
      if (!hash) throw new RangeError(`The log has no node ${level}/${index}`);
      return hash;
    });
  }

  insert(logged: LoggedEntries): void {
    if (logged.from !== this.#entries.length) throw new RangeError("Entries append in order");
    this.#entries.push(...logged.entries.map((entry) => entry.slice()));
  }

  seal(from: number, nodes: readonly TreeNode[], checkpoint: SignedCheckpoint): boolean {
    if ((this.#checkpoint?.size ?? 0) !== from) return false;
    for (const node of nodes) this.#nodes.set(nodeId(node.level, node.index), node.hash);
    this.#checkpoint = checkpoint;
    return true;
  }
}

/** A local store as the log's backend (its answers are there at once). */
export function localBackend(store: LocalLogStore): LogBackend {
  const now = <T>(work: () => T): Promise<T> => {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return {
    read: () => now(() => ({ checkpoint: store.checkpoint(), appended: store.appended() })),
    entries: (from, to) => now(() => store.entries(from, to)),
    entriesAt: (indices) => now(() => store.entriesAt(indices)),
    nodes: (ids) => now(() => store.nodes(ids)),
    seal: (from, nodes, checkpoint) => now(() => store.seal(from, nodes, checkpoint)),
  };
}
