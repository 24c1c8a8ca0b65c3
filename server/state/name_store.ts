/**
 * Name bindings (name -> identity key) that outlive the process: an embedded
 * SQLite file in the server's data directory. The registry sees only the
 * NameStore interface, so a shared store can replace this one.
 *
 * @module
 */
import { type Name, type NameKey, type NameSkeleton, nameSkeleton } from "../../protocol/mod.ts";
import { DatabaseSync, type StatementSync } from "node:sqlite";

/** A name bound to the identity key that first registered it. */
export type Binding = {
  readonly key: NameKey;
  readonly name: Name;
  readonly publicKey: Uint8Array;
  /** Milliseconds since the epoch when the name was last used. */
  readonly lastUsed: number;
};

/** Where bindings are kept. */
export interface NameStore {
  /** The binding of the name with this folded key, if any. */
  get(key: NameKey): Binding | undefined;
  /** Bindings whose names have this confusable skeleton (docs/protocol.md §9.3). */
  withSkeleton(skeleton: NameSkeleton): Binding[];
  /** Creates or replaces the binding of `binding.key`. */
  put(binding: Binding): void;
  /** Drops bindings last used before `cutoff`, except those in `keep`; returns how many. */
  purge(cutoff: number, keep: (key: NameKey) => boolean): number;
  /** Releases the store. */
  close(): void;
}

/** Bindings in memory, for tests and `--data` less runs. */
export class MemoryNameStore implements NameStore {
  readonly #bindings = new Map<NameKey, Binding>();
  get(key: NameKey): Binding | undefined {
    return this.#bindings.get(key);
  }
  withSkeleton(skeleton: NameSkeleton): Binding[] {
    return [...this.#bindings.values()].filter((b) => nameSkeleton(b.name) === skeleton);
  }
  put(binding: Binding): void {
    this.#bindings.set(binding.key, binding);
  }
  purge(cutoff: number, keep: (key: NameKey) => boolean): number {
    let n = 0;
    for (const [key, binding] of this.#bindings) {
      if (binding.lastUsed < cutoff && !keep(key)) {
        this.#bindings.delete(key);
        n++;
      }
    }
    return n;
  }
  close(): void {}
}

type Row = { key: string; name: string; public_key: Uint8Array; last_used: number };

function fromRow(row: Row): Binding {
  return {
    key: row.key as NameKey,
    name: row.name as Name,
    publicKey: new Uint8Array(row.public_key),
    lastUsed: Number(row.last_used),
  };
}

/** Bindings in a SQLite file (WAL, fsync at checkpoints: a crash loses at most the last moments). */
export class SqliteNameStore implements NameStore {
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #bySkeleton: StatementSync;
  readonly #put: StatementSync;

  /** Opens (or creates) the store at `path`, adding skeletons to bindings made before them. */
  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS bindings (
        key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        public_key BLOB NOT NULL,
        last_used INTEGER NOT NULL
      ) WITHOUT ROWID;`);
    const columns = this.#db.prepare("PRAGMA table_info(bindings)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "skeleton")) {
      this.#db.exec("ALTER TABLE bindings ADD COLUMN skeleton TEXT");
      const rows = this.#db.prepare("SELECT key, name FROM bindings").all() as {
        key: string;
        name: string;
      }[];
      const set = this.#db.prepare("UPDATE bindings SET skeleton = ? WHERE key = ?");
      for (const row of rows) set.run(nameSkeleton(row.name as Name), row.key);
    }
    this.#db.exec("CREATE INDEX IF NOT EXISTS bindings_skeleton ON bindings (skeleton)");
    const columnsOut = "key, name, public_key, last_used";
    this.#get = this.#db.prepare(`SELECT ${columnsOut} FROM bindings WHERE key = ?`);
    this.#bySkeleton = this.#db.prepare(`SELECT ${columnsOut} FROM bindings WHERE skeleton = ?`);
    this.#put = this.#db.prepare(
      "INSERT INTO bindings (key, name, public_key, last_used, skeleton) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT(key) DO UPDATE SET name = excluded.name, public_key = excluded.public_key, " +
        "last_used = excluded.last_used, skeleton = excluded.skeleton",
    );
  }

  get(key: NameKey): Binding | undefined {
    const row = this.#get.get(key) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  withSkeleton(skeleton: NameSkeleton): Binding[] {
    return (this.#bySkeleton.all(skeleton) as Row[]).map(fromRow);
  }

  put(binding: Binding): void {
    this.#put.run(
      binding.key,
      binding.name,
      binding.publicKey,
      binding.lastUsed,
      nameSkeleton(binding.name),
    );
  }

  purge(cutoff: number, keep: (key: NameKey) => boolean): number {
    const stale = this.#db.prepare("SELECT key FROM bindings WHERE last_used < ?").all(cutoff) as {
      key: string;
    }[];
    const remove = this.#db.prepare("DELETE FROM bindings WHERE key = ?");
    let n = 0;
    for (const { key } of stale) {
      if (keep(key as NameKey)) continue;
      remove.run(key);
      n++;
    }
    return n;
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

/**
 * Every binding in the SQLite store at `path`, read without changing the
 * file (for `p2pchat store copy`); throws if it is not such a store.
 */
export function readSqliteBindings(path: string): Binding[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare("SELECT key, name, public_key, last_used FROM bindings ORDER BY key")
      .all() as Row[]).map(fromRow);
  } finally {
    db.close();
  }
}
