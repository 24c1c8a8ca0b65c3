/**
 * Sealed messages held for users who are offline (docs/protocol.md §12),
 * and the signed prekeys they are sealed to. The directory cannot open
 * them: it holds bytes, bounded per recipient and per sender, for at most
 * the mail TTL. One interface, two stores: SQLite for one process
 * (SqliteMailbox, `mail.sqlite` under --data) and Redis for several
 * (RedisMailbox).
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { DirectoryError, type NameKey, type WirePrekey } from "../../protocol/mod.ts";

/** Most messages held for one recipient. */
export const MAX_MAILBOX_MESSAGES = 1000;
/** Most bytes held for one recipient. */
export const MAX_MAILBOX_BYTES = 4 * 1024 * 1024;
/** Most messages held from one sender for one recipient. */
export const MAX_FROM_ONE_SENDER = 100;
/** How long a message is held by default (`--mail-ttl`). */
export const DEFAULT_MAIL_TTL_MS = 14 * 24 * 3600 * 1000;

/** A held message. */
export type HeldMail = {
  readonly id: number;
  readonly sealed: Uint8Array;
  readonly stored: number;
};

/** A prekey as the directory keeps it: with the identity key (base64) that registered it. */
export type StoredPrekey = { readonly key: string; readonly prekey: WirePrekey };

/** Where sealed messages and prekeys live. */
export interface Mailbox {
  /** How long a message is held. */
  readonly ttlMs: number;
  /** Keeps `owner`'s current prekey (replacing the previous one). */
  putPrekey(owner: NameKey, entry: StoredPrekey): Promise<void>;
  /** `owner`'s prekey, if it registered one. */
  prekey(owner: NameKey): Promise<StoredPrekey | undefined>;
  /**
   * Holds `sealed` from `from` for `to`. Throws DirectoryError `mailbox-full`
   * (saying which bound) when it would pass one. Returns its id and when it expires.
   */
  deposit(
    to: NameKey,
    from: NameKey,
    sealed: Uint8Array,
    now: number,
  ): Promise<{ id: number; expires: number }>;
  /** Up to `limit` unexpired messages for `to` with ids above `after`, oldest first. */
  held(to: NameKey, now: number, after: number, limit: number): Promise<HeldMail[]>;
  /** Deletes delivered messages (ids not `to`'s are ignored). */
  ack(to: NameKey, ids: readonly number[]): Promise<void>;
  /** Deletes expired messages; returns how many. */
  purge(now: number): Promise<number>;
  /** Releases the store. */
  close(): Promise<void>;
}

/** The refusal for a deposit past a bound; `which` says which. */
export function mailboxFull(which: "messages" | "bytes" | "sender", to: string): DirectoryError {
  const why = {
    messages: `${MAX_MAILBOX_MESSAGES} messages`,
    bytes: `${MAX_MAILBOX_BYTES / 1024 / 1024} MiB`,
    sender: `${MAX_FROM_ONE_SENDER} messages from you`,
  }[which];
  return new DirectoryError(
    "mailbox-full",
    `${to}'s mailbox holds ${why} already; wait until ${to} comes online and reads them`,
  );
}

/** Mail in a SQLite file (WAL); one process. */
export class SqliteMailbox implements Mailbox {
  readonly ttlMs: number;
  readonly #db: DatabaseSync;
  readonly #usage: StatementSync;
  readonly #insert: StatementSync;
  readonly #held: StatementSync;
  readonly #delete: StatementSync;
  readonly #purge: StatementSync;
  readonly #putPrekey: StatementSync;
  readonly #getPrekey: StatementSync;

  /** Opens (or creates) the mailbox at `path` (`:memory:` for tests). */
  constructor(path: string, ttlMs = DEFAULT_MAIL_TTL_MS) {
    this.ttlMs = ttlMs;
    this.#db = new DatabaseSync(path);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS mail (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        recipient TEXT NOT NULL,
        sender TEXT NOT NULL,
        sealed BLOB NOT NULL,
        stored INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS mail_recipient ON mail (recipient, id);
      CREATE INDEX IF NOT EXISTS mail_stored ON mail (stored);
      CREATE TABLE IF NOT EXISTS prekeys (
        owner TEXT PRIMARY KEY,
        key TEXT NOT NULL,
        prekey TEXT NOT NULL
      ) WITHOUT ROWID;`);
    this.#usage = this.#db.prepare(
      "SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(sealed)), 0) AS bytes, " +
        "COALESCE(SUM(sender = ?), 0) AS mine FROM mail WHERE recipient = ? AND stored > ?",
    );
    this.#insert = this.#db.prepare(
      "INSERT INTO mail (recipient, sender, sealed, stored) VALUES (?, ?, ?, ?)",
    );
    this.#held = this.#db.prepare(
      "SELECT id, sealed, stored FROM mail WHERE recipient = ? AND id > ? AND stored > ? " +
        "ORDER BY id LIMIT ?",
    );
    this.#delete = this.#db.prepare("DELETE FROM mail WHERE recipient = ? AND id = ?");
    this.#purge = this.#db.prepare("DELETE FROM mail WHERE stored <= ?");
    // Every registration carries the prekey, mostly unchanged (it rotates weekly): a reconnect
    // storm then reads pages instead of writing them.
    this.#putPrekey = this.#db.prepare(
      "INSERT INTO prekeys (owner, key, prekey) VALUES (?, ?, ?) " +
        "ON CONFLICT(owner) DO UPDATE SET key = excluded.key, prekey = excluded.prekey " +
        "WHERE key IS NOT excluded.key OR prekey IS NOT excluded.prekey",
    );
    this.#getPrekey = this.#db.prepare("SELECT key, prekey FROM prekeys WHERE owner = ?");
  }

  putPrekey(owner: NameKey, entry: StoredPrekey): Promise<void> {
    this.#putPrekey.run(owner, entry.key, JSON.stringify(entry.prekey));
    return Promise.resolve();
  }

  prekey(owner: NameKey): Promise<StoredPrekey | undefined> {
    const row = this.#getPrekey.get(owner) as { key: string; prekey: string } | undefined;
    return Promise.resolve(row && { key: row.key, prekey: JSON.parse(row.prekey) });
  }

  deposit(
    to: NameKey,
    from: NameKey,
    sealed: Uint8Array,
    now: number,
  ): Promise<{ id: number; expires: number }> {
    const usage = this.#usage.get(from, to, now - this.ttlMs) as {
      n: number;
      bytes: number;
      mine: number;
    };
    if (usage.n >= MAX_MAILBOX_MESSAGES) return Promise.reject(mailboxFull("messages", to));
    if (usage.bytes + sealed.length > MAX_MAILBOX_BYTES) {
      return Promise.reject(mailboxFull("bytes", to));
    }
    if (usage.mine >= MAX_FROM_ONE_SENDER) return Promise.reject(mailboxFull("sender", to));
    const { lastInsertRowid } = this.#insert.run(to, from, sealed, now);
    return Promise.resolve({ id: Number(lastInsertRowid), expires: now + this.ttlMs });
  }

  held(to: NameKey, now: number, after: number, limit: number): Promise<HeldMail[]> {
    const rows = this.#held.all(to, after, now - this.ttlMs, limit) as {
      id: number;
      sealed: Uint8Array;
      stored: number;
    }[];
    return Promise.resolve(
      rows.map((r) => ({ id: Number(r.id), sealed: new Uint8Array(r.sealed), stored: r.stored })),
    );
  }

  ack(to: NameKey, ids: readonly number[]): Promise<void> {
    for (const id of ids) this.#delete.run(to, id);
    return Promise.resolve();
  }

  purge(now: number): Promise<number> {
    return Promise.resolve(Number(this.#purge.run(now - this.ttlMs).changes));
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
