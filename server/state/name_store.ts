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
import {
  type LocalLogStore,
  type LoggedEntries,
  MemoryLogStore,
  SqliteLogStore,
} from "./log_store.ts";

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

/**
 * The lapses a purge logs: `lapse(key)` gives the entry for a binding it
 * removes (undefined: the log does not say it is bound), written from index `from` on.
 */
export type PurgeLog = {
  readonly from: number;
  readonly lapse: (key: NameKey) => Uint8Array | undefined;
};

/** Where bindings and their prekeys are kept, with the key-transparency log of them. */
export interface NameStore {
  /** The log of the bindings' changes, written in the same transactions as they are. */
  readonly log: LocalLogStore;
  /** The binding of the name with this folded key, if any. */
  get(key: NameKey): Binding | undefined;
  /** The prekey kept with the binding of `key`, if any. */
  prekey(key: NameKey): StoredPrekey | undefined;
  /** Bindings whose names have this confusable skeleton (docs/protocol.md §9.3). */
  withSkeleton(skeleton: NameSkeleton): Binding[];
  /**
   * Creates or replaces the binding of `binding.key` and, in the same
   * transaction, puts, drops or keeps its prekey and appends `logged`.
   */
  put(
    binding: Binding,
    prekey?: { change: PrekeyChange; entry?: StoredPrekey },
    logged?: LoggedEntries,
  ): void;
  /**
   * Drops bindings last used at or before `usedBy`, except those in `keep`,
   * with their prekeys, and prekeys left without a binding, logging each
   * lapse `log` gives in the same transaction; returns how many bindings.
   */
  purge(usedBy: number, keep: (key: NameKey) => boolean, log?: PurgeLog): number;
  /** Every binding (the log's first entries, for a store that had none). */
  all(): Binding[];
  /** Appends `logged` alone, in a transaction of its own. */
  append(logged: LoggedEntries): void;
  /** Releases the store. */
  close(): void;
}

/** Bindings in memory, for tests. */
export class MemoryNameStore implements NameStore {
  readonly #bindings = new Map<NameKey, Binding>();
  readonly #prekeys = new Map<NameKey, StoredPrekey>();
  readonly log: LocalLogStore = new MemoryLogStore();

  get(key: NameKey): Binding | undefined {
    return this.#bindings.get(key);
  }

  prekey(key: NameKey): StoredPrekey | undefined {
    return this.#prekeys.get(key);
  }

  withSkeleton(skeleton: NameSkeleton): Binding[] {
    return [...this.#bindings.values()].filter((b) => nameSkeleton(b.name) === skeleton);
  }

  put(
    binding: Binding,
    prekey?: { change: PrekeyChange; entry?: StoredPrekey },
    logged?: LoggedEntries,
  ): void {
    if (logged) this.log.insert(logged);
    this.#bindings.set(binding.key, binding);
    if (prekey?.change === "put" && prekey.entry) this.#prekeys.set(binding.key, prekey.entry);
    if (prekey?.change === "drop") this.#prekeys.delete(binding.key);
  }

  purge(usedBy: number, keep: (key: NameKey) => boolean, log?: PurgeLog): number {
    let n = 0;
    const lapses: Uint8Array[] = [];
    for (const [key, binding] of this.#bindings) {
      if (binding.lastUsed <= usedBy && !keep(key)) {
        this.#bindings.delete(key);
        const lapse = log?.lapse(key);
        if (lapse) lapses.push(lapse);
        n++;
      }
    }
    if (log && lapses.length > 0) this.log.insert({ from: log.from, entries: lapses });
    for (const key of this.#prekeys.keys()) {
      if (!this.#bindings.has(key)) this.#prekeys.delete(key);
    }
    return n;
  }

  all(): Binding[] {
    return [...this.#bindings.values()];
  }

  append(logged: LoggedEntries): void {
    this.log.insert(logged);
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
  readonly log: LocalLogStore;
  readonly #database: DirectoryDatabase;
  readonly #all: StatementSync;
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
    this.log = new SqliteLogStore(this.#database);
    this.#all = db.prepare(`SELECT ${COLUMNS} FROM bindings ORDER BY key`);
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

  put(
    binding: Binding,
    prekey?: { change: PrekeyChange; entry?: StoredPrekey },
    logged?: LoggedEntries,
  ): void {
    this.#database.transaction(() => {
      if (logged) this.log.insert(logged);
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

  purge(usedBy: number, keep: (key: NameKey) => boolean, log?: PurgeLog): number {
    return this.#database.transaction(() => {
      let n = 0;
      const lapses: Uint8Array[] = [];
      for (const { key } of this.#stale.all(usedBy) as { key: string }[]) {
        if (keep(key as NameKey)) continue;
        this.#remove.run(key);
        const lapse = log?.lapse(key as NameKey);
        if (lapse) lapses.push(lapse);
        n++;
      }
      if (log && lapses.length > 0) this.log.insert({ from: log.from, entries: lapses });
      this.#orphans.run();
      return n;
    });
  }

  all(): Binding[] {
    return (this.#all.all() as Row[]).map(fromRow);
  }

  append(logged: LoggedEntries): void {
    this.#database.transaction(() => this.log.insert(logged));
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
