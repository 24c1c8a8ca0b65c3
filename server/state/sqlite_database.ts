/**
 * The one SQLite database of a single-process directory,
 * `directory.sqlite` in its data directory (docs/operations.md §1): name
 * bindings, the prekey kept with each binding, and the sealed mail held for
 * users who are offline. One file, so that a binding and its prekey change
 * in one transaction; the name store (name_store.ts) and the mailbox
 * (server/mail) each use their tables of it.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";

/** File name of the directory's database inside the server's data directory. */
export const DATABASE_FILE = "directory.sqlite";

/**
 * The tables: `bindings` (name key -> spelling, identity key, last use,
 * confusable skeleton), `prekeys` (name key -> the identity key that
 * registered it and its signed prekey, JSON), `mail` (held envelopes by
 * recipient, ids in deposit order), `migrations` (legacy files imported),
 * and the key-transparency log (log_store.ts): `log_entries`, `log_nodes`
 * and `log_checkpoint`.
 */
const SCHEMA = `
  PRAGMA journal_mode = WAL;
  PRAGMA synchronous = NORMAL;
  CREATE TABLE IF NOT EXISTS bindings (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    public_key BLOB NOT NULL,
    last_used INTEGER NOT NULL,
    skeleton TEXT
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS bindings_skeleton ON bindings (skeleton);
  CREATE INDEX IF NOT EXISTS bindings_last_used ON bindings (last_used);
  CREATE TABLE IF NOT EXISTS prekeys (
    owner TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    prekey TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS mail (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    sender TEXT NOT NULL,
    sealed BLOB NOT NULL,
    stored INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS mail_recipient ON mail (recipient, id);
  CREATE INDEX IF NOT EXISTS mail_stored ON mail (stored);
  CREATE TABLE IF NOT EXISTS migrations (
    name TEXT PRIMARY KEY,
    done INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS log_entries (
    idx INTEGER PRIMARY KEY,
    entry BLOB NOT NULL
  );
  CREATE TABLE IF NOT EXISTS log_nodes (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
  );
  CREATE TABLE IF NOT EXISTS log_checkpoint (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    size INTEGER NOT NULL,
    checkpoint TEXT NOT NULL
  );`;

/** The directory's database, shared by the name store and the mailbox; closed when both let go. */
export class DirectoryDatabase {
  /** The connection (WAL, fsync at checkpoints: a crash loses at most the last moments). */
  readonly db: DatabaseSync;
  #users = 0;

  /** Opens (or creates) the database at `path` (`:memory:` for tests) with every table. */
  constructor(path: string) {
    this.db = new DatabaseSync(path);
    this.db.exec(SCHEMA);
  }

  /** Runs `work` in one transaction: all of it is written, or none. */
  transaction<T>(work: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Counts one more user of the connection (a store built on it). */
  acquire(): this {
    this.#users++;
    return this;
  }

  /** One user let go; the last one closes the connection. */
  release(): void {
    this.#users--;
    if (this.#users <= 0 && this.db.isOpen) this.db.close();
  }
}
