/**
 * The offline-mail side of a directory session (docs/protocol.md §12): the
 * requests `prekey` and `mail`, and the window of held mail sent and not
 * yet acknowledged. Session (session.ts) dispatches to these.
 *
 * @module
 */
import {
  DirectoryError,
  type Name,
  type NameKey,
  type Notice,
  ProtocolError,
  type Reply,
} from "../protocol/mod.ts";
import { equalBytes, fromBase64, mailParties, toBase64 } from "../crypto/mod.ts";
import { errorMessage } from "../errors/mod.ts";
import type { Mailbox } from "./mail/mod.ts";
import type { Logger, Metrics } from "./ops/mod.ts";
import type { DirectoryState } from "./state/mod.ts";

/** Held messages sent to a client and not yet acknowledged, at most. */
export const MAIL_WINDOW = 32;

/** What the mail requests need of the server: the state, the mailbox, and what they report to. */
export type MailContext = {
  readonly directory: DirectoryState<{ checkMail(): void }>;
  readonly mailbox?: Mailbox;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly clock: () => number;
};

/** The mailbox, or the refusal of a directory that holds no mail (`serve --mail off`). */
export function needMailbox(ctx: { readonly mailbox?: Mailbox }): Mailbox {
  if (!ctx.mailbox) {
    throw new DirectoryError(
      "mail-off",
      "This directory holds no messages for people who are offline (serve --mail off)",
    );
  }
  return ctx.mailbox;
}

/**
 * The reply to `prekey`: the signed prekey kept with `name`'s binding, if
 * its key published one (the prekey of a name's earlier owner is never given).
 */
export async function prekeyReply(
  ctx: MailContext,
  id: number,
  name: Name,
): Promise<Extract<Reply, { type: "prekey" }>> {
  needMailbox(ctx);
  const bound = await ctx.directory.binding(name);
  if (!bound) throw new DirectoryError("not-found", `Nobody is called ${name}`);
  if (!bound.prekey) {
    throw new DirectoryError(
      "no-prekey",
      `${bound.name} uses a p2pchat that cannot receive messages while offline`,
    );
  }
  return { id, type: "prekey", name: bound.name, key: bound.key, prekey: bound.prekey };
}

/**
 * Holds a sealed message for the bound name `to`, and tells its owner if
 * online. The envelope must name the sender's session key as its sender and
 * the binding's key as its recipient, so nobody can re-deposit another's
 * message (the recipient would drop it as a replay anyway). Returns when it expires.
 */
export async function depositMail(
  ctx: MailContext,
  from: { readonly session: number; readonly name: NameKey; readonly key: Uint8Array },
  to: Name,
  base64: string,
): Promise<number> {
  const mailbox = needMailbox(ctx);
  const bound = await ctx.directory.binding(to);
  if (!bound) throw new DirectoryError("not-found", `Nobody is called ${to}`);
  const sealed = fromBase64(base64);
  const parties = mailParties(sealed);
  if (
    !parties || !equalBytes(parties.sender, from.key) ||
    toBase64(parties.recipient) !== bound.key
  ) {
    throw new ProtocolError(`The message is not sealed by your key to ${bound.name}'s`);
  }
  const { expires } = await mailbox.deposit(
    to.toLowerCase() as NameKey,
    from.name,
    sealed,
    ctx.clock(),
  );
  ctx.metrics.mailHeld++;
  ctx.log.event("mail", { session: from.session, to: bound.name, bytes: sealed.length });
  // Safe to drop: the message is held already; the recipient gets it at its next registration
  // or acknowledgement, and the store counted its own failure.
  const target = await ctx.directory.locate(to).catch(() => undefined);
  if (target && "local" in target) target.local.checkMail();
  else if (target) await ctx.directory.pokeMail(target.remote).catch(() => {});
  return expires;
}

/**
 * The held mail one session was sent and has not acknowledged: at most
 * MAIL_WINDOW at a time, oldest first; each acknowledgement makes room.
 */
export class MailWindow {
  readonly #mailbox: Mailbox;
  readonly #log: Logger;
  readonly #session: number;
  readonly #clock: () => number;
  /** Ids sent and not acknowledged; made with the first (most sessions never hold mail). */
  #sent: Set<number> | undefined;
  #after = 0;
  #checking: Promise<void> | undefined;
  #again = false;

  /** The window of session `session`'s mail in `mailbox`. */
  constructor(
    mailbox: Mailbox,
    options: { session: number; log: Logger; clock: () => number },
  ) {
    this.#mailbox = mailbox;
    this.#log = options.log;
    this.#session = options.session;
    this.#clock = options.clock;
  }

  /** Forgets what the client acknowledged, making room for more. */
  acknowledged(ids: readonly number[]): void {
    for (const id of ids) this.#sent?.delete(id);
  }

  /**
   * Sends `owner` the held mail that fits the window through `notify`,
   * until none is left or `closing()`; a check while one runs runs again after it.
   */
  check(owner: NameKey, notify: (notice: Notice) => void, closing: () => boolean): void {
    if (this.#checking) {
      this.#again = true;
      return;
    }
    this.#checking = (async () => {
      do {
        this.#again = false;
        const room = MAIL_WINDOW - (this.#sent?.size ?? 0);
        if (room <= 0) break;
        const held = await this.#mailbox.held(owner, this.#clock(), this.#after, room);
        for (const mail of held) {
          (this.#sent ??= new Set()).add(mail.id);
          this.#after = mail.id;
          notify({ type: "mail", id: mail.id, sealed: toBase64(mail.sealed), stored: mail.stored });
        }
        if (held.length === room) this.#again = true;
      } while (this.#again && !closing());
    })().catch((error) => {
      // Held mail stays held: it goes out at the next acknowledgement or registration.
      this.#log.event("mail-check-failed", { session: this.#session, error: errorMessage(error) });
    }).finally(() => this.#checking = undefined);
  }
}
