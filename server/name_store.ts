/**
 * Name bindings (name -> identity key) that outlive the process: an embedded
 * SQLite file in the server's data directory. The registry sees only the
 * NameStore interface, so a shared store can replace this one.
 *
 * @module
 */
import { type Name, type NameKey } from "../directory/mod.ts";
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
  get(key: NameKey): Binding | undefined;
  put(binding: Binding): void;
  /** Drops bindings last used before `cutoff`, except those in `keep`; returns how many. */
  purge(cutoff: number, keep: (key: NameKey) => boolean): number;
  close(): void;
}

/** Bindings in memory, for tests and `--data` less runs. */
export class MemoryNameStore implements NameStore {
  readonly #bindings = new Map<NameKey, Binding>();
  get(key: NameKey): Binding | undefined {
    return this.#bindings.get(key);
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

/** Bindings in a SQLite file (WAL, fsync at checkpoints: a crash loses at most the last moments). */
export class SqliteNameStore implements NameStore {
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #put: StatementSync;

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
    this.#get = this.#db.prepare(
      "SELECT key, name, public_key, last_used FROM bindings WHERE key = ?",
    );
    this.#put = this.#db.prepare(
      "INSERT INTO bindings (key, name, public_key, last_used) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT(key) DO UPDATE SET name = excluded.name, public_key = excluded.public_key, last_used = excluded.last_used",
    );
  }

  get(key: NameKey): Binding | undefined {
    const row = this.#get.get(key) as
      | { key: string; name: string; public_key: Uint8Array; last_used: number }
      | undefined;
    if (!row) return undefined;
    return {
      key: row.key as NameKey,
      name: row.name as Name,
      publicKey: new Uint8Array(row.public_key),
      lastUsed: Number(row.last_used),
    };
  }

  put(binding: Binding): void {
    this.#put.run(binding.key, binding.name, binding.publicKey, binding.lastUsed);
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
