/**
 * Name bindings (name -> identity key) and the prekey kept with each, that
 * outlive the process: in the directory's SQLite database, or in memory for
 * tests. The registry sees only the NameStore interface and decides with
 * binding_rules.ts what to write.
 *
 * @module
 */
import {
  type Name,
  type NameKey,
  type NameSkeleton,
  nameSkeleton,
  type WirePrekey,
} from "../../protocol/mod.ts";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { PrekeyChange } from "./binding_rules.ts";
import { DirectoryDatabase } from "./sqlite_database.ts";

/** A name bound to the identity key that first registered it. */
export type Binding = {
  readonly key: NameKey;
  readonly name: Name;
  readonly publicKey: Uint8Array;
  /** Milliseconds since the epoch when the name was last used. */
  readonly lastUsed: number;
};

/** A prekey as the directory keeps it: with the identity key (base64) that registered it. */
export type StoredPrekey = { readonly key: string; readonly prekey: WirePrekey };

/** Where bindings and their prekeys are kept. */
export interface NameStore {
  /** The binding of the name with this folded key, if any. */
  get(key: NameKey): Binding | undefined;
  /** The prekey kept with the binding of `key`, if any. */
  prekey(key: NameKey): StoredPrekey | undefined;
  /** Bindings whose names have this confusable skeleton (docs/protocol.md §9.3). */
  withSkeleton(skeleton: NameSkeleton): Binding[];
  /**
   * Creates or replaces the binding of `binding.key` and, in the same
   * transaction, puts, drops or keeps its prekey.
   */
  put(binding: Binding, prekey?: { change: PrekeyChange; entry?: StoredPrekey }): void;
  /**
   * Drops bindings last used at or before `usedBy`, except those in `keep`,
   * with their prekeys, and prekeys left without a binding; returns how many bindings.
   */
  purge(usedBy: number, keep: (key: NameKey) => boolean): number;
  /** Releases the store. */
  close(): void;
}

/** Bindings in memory, for tests. */
export class MemoryNameStore implements NameStore {
  readonly #bindings = new Map<NameKey, Binding>();
  readonly #prekeys = new Map<NameKey, StoredPrekey>();

  get(key: NameKey): Binding | undefined {
    return this.#bindings.get(key);
  }

  prekey(key: NameKey): StoredPrekey | undefined {
    return this.#prekeys.get(key);
  }

  withSkeleton(skeleton: NameSkeleton): Binding[] {
    return [...this.#bindings.values()].filter((b) => nameSkeleton(b.name) === skeleton);
  }

  put(binding: Binding, prekey?: { change: PrekeyChange; entry?: StoredPrekey }): void {
    this.#bindings.set(binding.key, binding);
    if (prekey?.change === "put" && prekey.entry) this.#prekeys.set(binding.key, prekey.entry);
    if (prekey?.change === "drop") this.#prekeys.delete(binding.key);
  }

  purge(usedBy: number, keep: (key: NameKey) => boolean): number {
    let n = 0;
    for (const [key, binding] of this.#bindings) {
      if (binding.lastUsed <= usedBy && !keep(key)) {
        this.#bindings.delete(key);
        n++;
      }
    }
    for (const key of this.#prekeys.keys()) {
      if (!this.#bindings.has(key)) this.#prekeys.delete(key);
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

const COLUMNS = "key, name, public_key, last_used";

/** Bindings and prekeys in the directory's SQLite database (sqlite_database.ts). */
export class SqliteNameStore implements NameStore {
  readonly #database: DirectoryDatabase;
  readonly #get: StatementSync;
  readonly #bySkeleton: StatementSync;
  readonly #put: StatementSync;
  readonly #getPrekey: StatementSync;
  readonly #putPrekey: StatementSync;
  readonly #dropPrekey: StatementSync;
  readonly #stale: StatementSync;
  readonly #remove: StatementSync;
  readonly #orphans: StatementSync;

  /** The store in `database` (a path opens a database of its own). */
  constructor(database: DirectoryDatabase | string) {
    this.#database = (typeof database === "string" ? new DirectoryDatabase(database) : database)
      .acquire();
    const db = this.#database.db;
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM bindings WHERE key = ?`);
    this.#bySkeleton = db.prepare(`SELECT ${COLUMNS} FROM bindings WHERE skeleton = ?`);
    this.#put = db.prepare(
      "INSERT INTO bindings (key, name, public_key, last_used, skeleton) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT(key) DO UPDATE SET name = excluded.name, public_key = excluded.public_key, " +
        "last_used = excluded.last_used, skeleton = excluded.skeleton",
    );
    this.#getPrekey = db.prepare("SELECT key, prekey FROM prekeys WHERE owner = ?");
    this.#putPrekey = db.prepare(
      "INSERT INTO prekeys (owner, key, prekey) VALUES (?, ?, ?) " +
        "ON CONFLICT(owner) DO UPDATE SET key = excluded.key, prekey = excluded.prekey",
    );
    this.#dropPrekey = db.prepare("DELETE FROM prekeys WHERE owner = ?");
    this.#stale = db.prepare("SELECT key FROM bindings WHERE last_used <= ?");
    this.#remove = db.prepare("DELETE FROM bindings WHERE key = ?");
    this.#orphans = db.prepare(
      "DELETE FROM prekeys WHERE NOT EXISTS (SELECT 1 FROM bindings WHERE bindings.key = owner)",
    );
  }

  get(key: NameKey): Binding | undefined {
    const row = this.#get.get(key) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  prekey(key: NameKey): StoredPrekey | undefined {
    const row = this.#getPrekey.get(key) as { key: string; prekey: string } | undefined;
    return row && { key: row.key, prekey: JSON.parse(row.prekey) };
  }

  withSkeleton(skeleton: NameSkeleton): Binding[] {
    return (this.#bySkeleton.all(skeleton) as Row[]).map(fromRow);
  }

  put(binding: Binding, prekey?: { change: PrekeyChange; entry?: StoredPrekey }): void {
    this.#database.transaction(() => {
      this.#put.run(
        binding.key,
        binding.name,
        binding.publicKey,
        binding.lastUsed,
        nameSkeleton(binding.name),
      );
      if (prekey?.change === "put" && prekey.entry) {
        this.#putPrekey.run(binding.key, prekey.entry.key, JSON.stringify(prekey.entry.prekey));
      } else if (prekey?.change === "drop") {
        this.#dropPrekey.run(binding.key);
      }
    });
  }

  purge(usedBy: number, keep: (key: NameKey) => boolean): number {
    return this.#database.transaction(() => {
      let n = 0;
      for (const { key } of this.#stale.all(usedBy) as { key: string }[]) {
        if (keep(key as NameKey)) continue;
        this.#remove.run(key);
        n++;
      }
      this.#orphans.run();
      return n;
    });
  }

  close(): void {
    this.#database.release();
  }
}

/** A binding read for `p2pchat store copy`, with the prekey kept with it when the file has one. */
export type CopiedBinding = Binding & { readonly prekey?: StoredPrekey };

/**
 * Every binding in the SQLite file at `path` (the directory's
 * `directory.sqlite`, or a `names.sqlite` of before), read without changing
 * the file, for `p2pchat store copy`; throws if it holds no bindings table.
 */
export function readSqliteBindings(path: string): CopiedBinding[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const hasPrekeys = db.prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'prekeys'",
    ).get() !== undefined;
    const prekeys = new Map<string, StoredPrekey>();
    if (hasPrekeys) {
      const rows = db.prepare("SELECT owner, key, prekey FROM prekeys").all() as {
        owner: string;
        key: string;
        prekey: string;
      }[];
      for (const row of rows) {
        prekeys.set(row.owner, { key: row.key, prekey: JSON.parse(row.prekey) });
      }
    }
    return (db.prepare(`SELECT ${COLUMNS} FROM bindings ORDER BY key`).all() as Row[]).map(
      (row) => {
        const binding = fromRow(row);
        const prekey = prekeys.get(row.key);
        return prekey ? { ...binding, prekey } : binding;
      },
    );
  } finally {
    db.close();
  }
}
