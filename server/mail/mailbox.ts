/**
 * Sealed messages held for users who are offline (docs/protocol.md §12).
 * The directory cannot open them: it holds bytes, bounded per recipient and
 * per sender, for at most the mail TTL. One interface, two stores: SQLite
 * for one process (SqliteMailbox, in the directory's `directory.sqlite`)
 * and Redis for several (RedisMailbox); both count a message's exact bytes
 * against the bound and both purge what expired. The prekeys mail is sealed
 * to are kept with the name's binding (server/state).
 *
 * @module
 */
import { DirectoryError, type NameKey } from "../../protocol/mod.ts";

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

/** Where sealed messages live. */
export interface Mailbox {
  /** How long a message is held. */
  readonly ttlMs: number;
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
  /** Deletes every message expired at `now`, whoever it was for; returns how many. */
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
