/**
 * Offline mail in the client (docs/protocol.md §12): the mail room (a
 * machine: sealing messages to people who are away, opening and proving
 * what the directory held, the receipts both ways), the service that
 * carries out its I/O, the outbox and seen ids, and the prekeys.
 *
 * @example
 * ```ts
 * import { PrekeyRing } from "./mod.ts";
 *
 * const ring = await PrekeyRing.load("/tmp/p2pchat-example-prekeys");
 * const current = await ring.current(Date.now()); // replaced once a week
 * console.log(current.public.length); // 65: an uncompressed P-256 key
 * ```
 *
 * @module
 */
export { MailRoom } from "./mail_room.ts";
export { type GroupMail, type MailDirectory, MailService } from "./mail_service.ts";
export {
  type HeldMail,
  type MailAction,
  type MailEvent,
  MAX_MAIL_TEXT_BYTES,
} from "./mail_events.ts";
export { MAIL_FILE, MailBook } from "./mail_book.ts";
export { PrekeyRing, PREKEYS_FILE } from "./prekey_ring.ts";
