/**
 * Offline mail in the client (docs/protocol.md §12): sealing a message to
 * someone who is away, opening what the directory held for us, receipts
 * both ways, and the checks that keep a lying directory from reading,
 * altering, replaying or forging any of it. Events only: the words are the
 * interface's.
 *
 * @module
 */
import {
  type Fingerprint,
  fromBase64,
  type Identity,
  MailError,
  mailSender,
  openMail,
  PublicIdentity,
  sealMail,
  toBase64,
  utf8,
  verifyPrekey,
} from "../../crypto/mod.ts";
import {
  checks,
  DirectoryError,
  DirectoryUnavailableError,
  fromWirePrekey,
  InvalidNameError,
  JsonObject,
  MAX_ACK_IDS,
  MAX_SEALED_BYTES,
  type Name,
  nameKey,
  parseName,
  type UserEntry,
  type WirePrekey,
} from "../../protocol/mod.ts";
import { admitListed, admitProven } from "../chat/mod.ts";
import { checkUser } from "../trust/mod.ts";
import { ChatError } from "../core/mod.ts";
import type { ClientEvent, EventSink, SecurityWarning, UndeliveredReason } from "../core/mod.ts";
import type { MailBook, Outgoing } from "./mail_book.ts";
import { SEEN_KEEP_MS } from "./mail_book.ts";
import type { PeerTrust } from "../trust/mod.ts";
import { isRandomId, randomId } from "../chat/mod.ts";
import type { PrekeyRing } from "./prekey_ring.ts";

/** Most UTF-8 bytes of text one offline message carries (it must fit MAX_SEALED_BYTES sealed). */
export const MAX_MAIL_TEXT_BYTES = 4096;

/** How far ahead of ours a sender's clock may be. */
export const MAX_CLOCK_AHEAD_MS = 24 * 3600 * 1000;

/** What the room needs of the directory. */
export interface MailDirectory {
  /** The bound name's key and signed prekey, online or not. */
  prekey(name: string): Promise<{ name: string; key: string; prekey: WirePrekey }>;
  /** The online user called `name`. */
  lookup(name: string): Promise<UserEntry>;
  mail(to: string, sealed: string): Promise<number>;
  mailAck(ids: number[]): Promise<void>;
}

/** What travels inside the seal (signed): a message or a receipt. */
type Body =
  | { type: "message"; from: string; to: string; id: string; time: number; text: string }
  | { type: "receipt"; from: string; to: string; ids: string[]; time: number };

const MAX_RECEIPT_IDS = 100;

/** A sealed body that does not decode (it opened, so its signer wrote it so). */
class MalformedBody extends TypeError {}

/** Decodes a body that opened (docs/protocol.md §12.2); throws MalformedBody. */
function decodeBody(bytes: Uint8Array): Body {
  const o = JsonObject.parse(bytes, {
    limit: MAX_SEALED_BYTES,
    fail: (message) => new MalformedBody(message),
  });
  const from = o.field("from", checks.string, "a name");
  const to = o.field("to", checks.string, "a name");
  const time = o.field("time", checks.dateTime, "a time a date can hold");
  const type = o.field("type", checks.oneOf(["message", "receipt"] as const), "message or receipt");
  if (type === "message") {
    return {
      type: "message",
      from,
      to,
      time,
      id: o.field("id", isRandomId, "a 32-digit hex id"),
      text: o.field("text", checks.string, "text"),
    };
  }
  return {
    type: "receipt",
    from,
    to,
    time,
    ids: o.list("ids", MAX_RECEIPT_IDS, (id) => {
      if (!isRandomId(id)) throw new MalformedBody(`"ids" must be 32-digit hex ids`);
      return id;
    }),
  };
}

/** The directory's refusals that mean "this message will not be held", by the reason reported. */
const REFUSALS: Partial<Record<string, UndeliveredReason>> = {
  "mailbox-full": "mailbox-full",
  "mail-off": "refused",
  "no-prekey": "refused",
};

/** The warning for a held message refused unshown: who signed it (if known), the name, why. */
function mailRejected(got: string, peer: string, detail: string): SecurityWarning {
  return { type: "security-warning", peer, reason: "mail-rejected", expected: "", got, detail };
}

/** A recipient whose key and prekey were checked. */
type Recipient = { name: Name; identity: PublicIdentity; prekey: Uint8Array };

/** The room's collaborators. */
export type MailRoomOptions = {
  name: Name;
  identity: Identity;
  directory: MailDirectory;
  trust: PeerTrust;
  book: MailBook;
  prekeys: PrekeyRing;
  sink: EventSink;
  clock?: () => number;
};

/** Offline mail: send, receive, receipts. */
export class MailRoom {
  readonly #o: MailRoomOptions;
  readonly #clock: () => number;
  /** Incoming mail is handled one at a time, in the order the directory sent it. */
  #queue: Promise<void> = Promise.resolve();
  /** Outgoing mail too, in the order typed. */
  #sending: Promise<void> = Promise.resolve();
  /** Held messages received and not yet handled. */
  #waiting = 0;
  /** Handled messages to acknowledge, and the receipts owed, by signer. */
  readonly #acks: number[] = [];
  readonly #receipts = new Map<string, { name: Name; signer: PublicIdentity; ids: string[] }>();

  constructor(options: MailRoomOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
  }

  #emit(event: ClientEvent): void {
    this.#o.sink.emit(event);
  }

  /**
   * Seals `text` to `to`'s prekey and leaves it at the directory. The
   * directory's key for the name must match our pin, and the prekey must be
   * signed by that key: otherwise a `security-warning` and nothing is sent.
   */
  send(to: Name, text: string): Promise<void> {
    // One at a time, so messages reach the directory (and the recipient) in the order typed.
    const sent = this.#sending.then(() => this.#send(to, text));
    this.#sending = sent.catch(() => {});
    return sent;
  }

  async #send(to: Name, text: string): Promise<void> {
    if (utf8(text).length > MAX_MAIL_TEXT_BYTES) {
      throw new ChatError(
        "too-long",
        `A message for someone offline holds at most ${MAX_MAIL_TEXT_BYTES} bytes; send it in parts`,
      );
    }
    const time = this.#clock();
    const id = randomId();
    let recipient: Recipient | undefined;
    let expires: number;
    try {
      recipient = await this.#recipient(to);
      if (!recipient) return;
      expires = await this.#deposit(recipient, {
        type: "message",
        from: this.#o.name,
        to: recipient.name,
        id,
        time,
        text,
      });
    } catch (error) {
      const refusal = error instanceof DirectoryError && REFUSALS[error.code];
      if (!refusal) throw error;
      return this.#emit({
        type: "undelivered",
        peer: recipient?.name ?? to,
        ids: [id],
        texts: [text],
        reason: refusal,
        message: (error as DirectoryError).message,
      });
    }
    const dropped = await this.#o.book.sent({
      id,
      peer: recipient.name,
      key: toBase64(recipient.identity.key),
      text,
      time,
      expires,
    });
    this.#emit({
      type: "queued",
      peer: recipient.name,
      id,
      text,
      time: new Date(time).toISOString(),
    });
    if (dropped) this.#undelivered([dropped], "outbox-full");
  }

  /** The messages still waiting for a receipt (after reporting those the directory dropped). */
  async waiting(): Promise<void> {
    await this.expire();
    this.#emit({
      type: "mail",
      messages: this.#o.book.outbox.map((m) => ({
        peer: m.peer,
        id: m.id,
        text: m.text,
        time: new Date(m.time).toISOString(),
        expires: new Date(m.expires).toISOString(),
      })),
    });
  }

  /** Reports as undelivered the messages the directory has dropped unread by now. */
  async expire(): Promise<void> {
    const gone = await this.#o.book.expired(this.#clock());
    if (gone.length > 0) this.#undelivered(gone, "expired");
  }

  #undelivered(messages: Outgoing[], reason: "expired" | "outbox-full"): void {
    for (const peer of new Set(messages.map((m) => m.peer))) {
      const mine = messages.filter((m) => m.peer === peer);
      this.#emit({
        type: "undelivered",
        peer,
        ids: mine.map((m) => m.id),
        texts: mine.map((m) => m.text),
        reason,
      });
    }
  }

  /**
   * Handles one held message from the directory. Messages are handled in the
   * order they came; once none is waiting, the receipts they call for go out,
   * one per sender, and then the acknowledgements, in as few requests as the
   * protocol allows.
   */
  receive(mail: { id: number; sealed: string; stored: number }): Promise<void> {
    this.#waiting++;
    this.#queue = this.#queue.then(async () => {
      try {
        // Acknowledged even when refused: it can never open, and would come back forever. Not
        // when its sender could not be checked (the directory is away): it comes back later.
        if (await this.#open(fromBase64(mail.sealed)) === "handled") this.#acks.push(mail.id);
      } finally {
        this.#waiting--;
      }
      if (this.#waiting === 0) await this.#settle();
    }).catch((error) =>
      this.#emit({ type: "error", code: "mail-failed", message: String(error?.message ?? error) })
    );
    return this.#queue;
  }

  async #settle(): Promise<void> {
    const receipts = [...this.#receipts.values()];
    this.#receipts.clear();
    for (const { name, signer, ids } of receipts) {
      // The receipt goes to the key that signed the messages, sealed to its prekey.
      const recipient = await this.#recipient(name, signer).catch(() => undefined);
      if (!recipient) continue;
      for (let i = 0; i < ids.length; i += MAX_RECEIPT_IDS) {
        await this.#deposit(recipient, {
          type: "receipt",
          from: this.#o.name,
          to: recipient.name,
          ids: ids.slice(i, i + MAX_RECEIPT_IDS),
          time: this.#clock(),
        }).catch(() => {});
      }
    }
    const acks = this.#acks.splice(0);
    for (let i = 0; i < acks.length; i += MAX_ACK_IDS) {
      await this.#o.directory.mailAck(acks.slice(i, i + MAX_ACK_IDS)).catch(() => {});
    }
  }

  /** Opens, checks and shows (or refuses) one held message; "later" to leave it unacknowledged. */
  async #open(envelope: Uint8Array): Promise<"handled" | "later"> {
    const now = this.#clock();
    const claimed = mailSender(envelope);
    let opened;
    try {
      opened = await openMail(this.#o.identity.public, this.#o.prekeys.all(now), envelope);
    } catch (error) {
      if (!(error instanceof MailError)) throw error;
      this.#emit(mailRejected(claimed?.fingerprint ?? "", "", error.code));
      return "handled";
    }
    let body: Body;
    let from: Name;
    try {
      body = decodeBody(opened.body);
      from = parseName(body.from);
    } catch (error) {
      if (!(error instanceof MalformedBody) && !(error instanceof InvalidNameError)) throw error;
      this.#emit(mailRejected(opened.sender.fingerprint, "", "malformed"));
      return "handled";
    }
    const fingerprint = opened.sender.fingerprint;
    if (nameKey(body.to as Name) !== nameKey(this.#o.name)) {
      this.#emit(mailRejected(fingerprint, from, "not-for-me"));
      return "handled";
    }
    if (now - body.time > SEEN_KEEP_MS) {
      this.#emit(mailRejected(fingerprint, from, "too-old"));
      return "handled";
    }
    if (body.time - now > MAX_CLOCK_AHEAD_MS) {
      // A sender's clock may run ahead; a date days away is a lie the screen would show.
      this.#emit(mailRejected(fingerprint, from, "from-the-future"));
      return "handled";
    }
    // The signer must be who we know under that name, or on first contact the key the
    // directory binds to it now: anyone can sign, so the name is what has to be proven.
    const proof = await this.#proveSender(from, fingerprint);
    if (proof === "later") return "later";
    if (proof === "refused") return "handled";
    await this.#pinIfNew(from, fingerprint);
    if (body.type === "receipt") {
      for (const m of await this.#o.book.receipted(toBase64(opened.sender.key), body.ids)) {
        this.#emit({ type: "delivered", peer: m.peer, id: m.id, text: m.text, offline: true });
      }
      return "handled";
    }
    if (!await this.#o.book.firstSight(fingerprint, body.id, now)) return "handled";
    this.#emit({
      type: "message",
      peer: from,
      id: body.id,
      text: body.text,
      time: new Date(body.time).toISOString(),
      offline: true,
    });
    const owed = this.#receipts.get(fingerprint) ?? { name: from, signer: opened.sender, ids: [] };
    owed.ids.push(body.id);
    this.#receipts.set(fingerprint, owed);
    return "handled";
  }

  /**
   * Whether the key `signer` may speak for `name` (docs/protocol.md §12.4):
   * it is the key pinned for `name`, or, with no pin, the key the directory
   * binds to `name` now, by the rules an incoming chat follows (admitProven).
   * Warns and answers "refused" otherwise (`mail-rejected` with `unlisted` or
   * `directory-mismatch`); "later" when the directory cannot be asked now.
   */
  async #proveSender(name: Name, signer: Fingerprint): Promise<"proven" | "refused" | "later"> {
    const keyOfAnother = () => mailRejected(signer, name, "key-of-another");
    if (!this.#vouch(name, signer, keyOfAnother)) return "refused";
    if (this.#o.trust.pin(name)) return "proven";
    let listed: Fingerprint | undefined;
    try {
      listed = await this.#boundKey(name);
    } catch (error) {
      if (error instanceof DirectoryUnavailableError || error instanceof DirectoryError) {
        return "later";
      }
      if (!(error instanceof TypeError)) throw error;
      this.#emit(mailRejected(signer, name, "directory-inconsistent"));
      return "refused";
    }
    const decision = admitProven("responder", undefined, listed, signer);
    if (decision.admit) return "proven";
    this.#emit(mailRejected(signer, name, decision.reason));
    return "refused";
  }

  /**
   * The key the directory binds to `name` now (offline users too, through
   * their prekey entry; online ones through lookup), undefined when nobody
   * holds it. Throws TypeError for an answer that does not add up.
   */
  async #boundKey(name: Name): Promise<Fingerprint | undefined> {
    try {
      const answer = await this.#o.directory.prekey(name);
      if (nameKey(parseName(answer.name)) !== nameKey(name)) throw new TypeError("another name");
      return PublicIdentity.fromRaw(fromBase64(answer.key)).fingerprint;
    } catch (error) {
      if (!(error instanceof DirectoryError)) throw error;
      if (error.code === "not-found") return undefined;
      if (error.code !== "no-prekey") throw error;
    }
    // Bound, but with no usable prekey (an old client): only its presence can say its key.
    let entry: UserEntry;
    try {
      entry = await this.#o.directory.lookup(name);
    } catch (error) {
      if (error instanceof DirectoryError && error.code === "not-found") return undefined;
      throw error;
    }
    const checked = checkUser(entry, { name });
    if ("problem" in checked) throw new TypeError(checked.problem);
    return checked.fingerprint;
  }

  /**
   * Whether `fingerprint` may speak for `name`: it is the key pinned for
   * `name` (or none is yet) and not one pinned for someone else. Warns and
   * answers false otherwise; pins nothing (#pinIfNew does, once all checks held).
   */
  #vouch(
    name: Name,
    fingerprint: Fingerprint,
    keyOfAnother: (named: string) => SecurityWarning,
  ): boolean {
    const decision = admitListed(this.#o.trust.pin(name), fingerprint);
    if (!decision.admit) {
      this.#emit(this.#o.trust.refused(name, decision));
      return false;
    }
    const others = this.#o.trust.pinnedUnderOtherNames(name, fingerprint);
    if (others.length > 0) {
      this.#emit(keyOfAnother(others[0]));
      return false;
    }
    return true;
  }

  /** Pins `fingerprint` for `name` on first contact. */
  async #pinIfNew(name: Name, fingerprint: Fingerprint): Promise<void> {
    if (!this.#o.trust.pin(name)) await this.#o.trust.pinFirstContact(name, fingerprint);
  }

  /**
   * The directory's word on `name`, checked: the key against our pin (or
   * `expected`, for a receipt), the prekey's signature against the key.
   * Undefined after a security-warning.
   */
  async #recipient(
    name: Name,
    expected?: PublicIdentity,
  ): Promise<Recipient | undefined> {
    const answer = await this.#o.directory.prekey(name);
    let identity: PublicIdentity;
    let spelled: Name;
    try {
      identity = PublicIdentity.fromRaw(fromBase64(answer.key));
      spelled = parseName(answer.name);
      if (nameKey(spelled) !== nameKey(name)) throw new TypeError("another name");
    } catch {
      this.#emit({
        type: "security-warning",
        peer: name,
        reason: "directory-inconsistent",
        expected: "",
        got: "",
        named: answer.name,
      });
      return undefined;
    }
    const fingerprint = identity.fingerprint;
    const keyOfAnother = (named: string): SecurityWarning => ({
      type: "security-warning",
      peer: spelled,
      reason: "directory-inconsistent",
      expected: fingerprint,
      got: fingerprint,
      problem: "key-of-another",
      named,
    });
    if (expected && expected.fingerprint !== fingerprint) {
      // A receipt goes only to the key that signed the message.
      this.#emit(this.#o.trust.refused(spelled, {
        admit: false,
        reason: "directory-mismatch",
        expected: expected.fingerprint,
        got: fingerprint,
      }));
      return undefined;
    }
    if (!expected && !this.#vouch(spelled, fingerprint, keyOfAnother)) return undefined;
    let prekey;
    try {
      prekey = fromWirePrekey(answer.prekey);
    } catch {
      prekey = undefined;
    }
    if (!prekey || !verifyPrekey(identity, prekey)) {
      this.#emit({
        type: "security-warning",
        peer: spelled,
        reason: "prekey-invalid",
        expected: fingerprint,
        got: "",
      });
      return undefined;
    }
    await this.#pinIfNew(spelled, fingerprint);
    return { name: spelled, identity, prekey: prekey.key };
  }

  async #deposit(
    to: Recipient,
    body: Body,
  ): Promise<number> {
    const sealed = await sealMail(
      this.#o.identity,
      to.identity,
      to.prekey,
      utf8(JSON.stringify(body)),
    );
    if (sealed.length > MAX_SEALED_BYTES) {
      throw new ChatError("too-long", "The message is too long to hold for someone offline");
    }
    return await this.#o.directory.mail(to.name, toBase64(sealed));
  }
}
