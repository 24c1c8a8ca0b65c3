/**
 * The directory's mailboxes for offline mail (docs/protocol.md §12): sealed
 * envelopes held per recipient, bounded and expiring; in SQLite for one
 * process or in Redis for several, behind one interface. (The prekeys they
 * are sealed to are kept with the names' bindings, in server/state.)
 *
 * @example
 * ```ts
 * import { SqliteMailbox } from "./mod.ts";
 *
 * const mailbox = new SqliteMailbox(":memory:");
 * console.log(await mailbox.held("bob" as never, Date.now(), 0, 32)); // []
 * await mailbox.close();
 * ```
 *
 * @module
 */
export { DEFAULT_MAIL_TTL_MS, type Mailbox } from "./mailbox.ts";
export { SqliteMailbox } from "./sqlite_mailbox.ts";
export { RedisMailbox } from "./redis_mailbox.ts";
