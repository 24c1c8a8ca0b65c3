/**
 * The mailbox (mailbox.ts) in the directory's SQLite database
 * (server/state's DirectoryDatabase: one file with the bindings), for one
 * process.
 *
 * @module
 */
import type { StatementSync } from "node:sqlite";
import type { NameKey } from "../../protocol/mod.ts";
import { DirectoryDatabase } from "../state/mod.ts";
import {
  DEFAULT_MAIL_TTL_MS,
  type HeldMail,
  type Mailbox,
  mailboxFull,
  MAX_FROM_ONE_SENDER,
  MAX_MAILBOX_BYTES,
  MAX_MAILBOX_MESSAGES,
} from "./mailbox.ts";

/** Mail in SQLite; one process. */
export class SqliteMailbox implements Mailbox {
  /** How long a message is held. */
  readonly ttlMs: number;
  readonly #database: DirectoryDatabase;
  readonly #usage: StatementSync;
  readonly #insert: StatementSync;
  readonly #held: StatementSync;
  readonly #delete: StatementSync;
  readonly #purge: StatementSync;

  /** The mailbox in `database` (a path, `:memory:` for tests, opens a database of its own). */
  constructor(database: DirectoryDatabase | string, ttlMs = DEFAULT_MAIL_TTL_MS) {
    this.ttlMs = ttlMs;
    this.#database = (typeof database === "string" ? new DirectoryDatabase(database) : database)
      .acquire();
    const db = this.#database.db;
    this.#usage = db.prepare(
      "SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(sealed)), 0) AS bytes, " +
        "COALESCE(SUM(sender = ?), 0) AS mine FROM mail WHERE recipient = ? AND stored > ?",
    );
    this.#insert = db.prepare(
      "INSERT INTO mail (recipient, sender, sealed, stored) VALUES (?, ?, ?, ?)",
    );
    this.#held = db.prepare(
      "SELECT id, sealed, stored FROM mail WHERE recipient = ? AND id > ? AND stored > ? " +
        "ORDER BY id LIMIT ?",
    );
    this.#delete = db.prepare("DELETE FROM mail WHERE recipient = ? AND id = ?");
    this.#purge = db.prepare("DELETE FROM mail WHERE stored <= ?");
  }

  /** Holds `sealed` for `to` within the bounds (Mailbox.deposit). */
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

  /** Unexpired messages for `to`, oldest first (Mailbox.held). */
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

  /** Deletes delivered messages (Mailbox.ack). */
  ack(to: NameKey, ids: readonly number[]): Promise<void> {
    this.#database.transaction(() => {
      for (const id of ids) this.#delete.run(to, id);
    });
    return Promise.resolve();
  }

  /** Deletes every expired message (Mailbox.purge). */
  purge(now: number): Promise<number> {
    return Promise.resolve(Number(this.#purge.run(now - this.ttlMs).changes));
  }

  /** Lets go of the database (closed once the name store lets go too). */
  close(): Promise<void> {
    this.#database.release();
    return Promise.resolve();
  }
}
