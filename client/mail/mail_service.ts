/**
 * The mail room's shell: it carries out the {@linkcode MailRoom}'s actions
 * against the directory, the seal, the mail book and the pins, and feeds
 * each result back as an event. Sends go one at a time, in the order typed,
 * each resolving once its job is done (rejecting with its ClientError or the
 * directory's error); held mail is handed to the room as it comes.
 *
 * @module
 */
import {
  fromBase64,
  type Identity,
  MailError,
  mailSender,
  openMail,
  type PublicIdentity,
  sealMail,
  toBase64,
} from "../../crypto/mod.ts";
import {
  DirectoryError,
  DirectoryUnavailableError,
  type Name,
  type UserEntry,
} from "../../protocol/mod.ts";
import { ClientError, errorEvent } from "../core/mod.ts";
import type { EventSink } from "../core/mod.ts";
import { randomId } from "../chat/mod.ts";
import type { KeyStatus, PeerTrust } from "../trust/mod.ts";
import { encodeBody } from "./mail_body.ts";
import type { MailBook } from "./mail_book.ts";
import {
  type Binding,
  type HeldMail,
  type MailAction,
  type MailEvent,
  outboxEvent,
  type PrekeyAnswer,
} from "./mail_events.ts";
import { MailRoom } from "./mail_room.ts";
import type { PrekeyRing } from "./prekey_ring.ts";

/** Groups (issue 24): a group frame that came as mail, its sender proven. */
export type GroupMail = {
  readonly from: Name;
  readonly sender: PublicIdentity;
  readonly frame: Record<string, unknown>;
  readonly known: KeyStatus;
};

/** What the room needs of the directory. */
export interface MailDirectory {
  /** The bound name's key and signed prekey, online or not. */
  prekey(name: string): Promise<PrekeyAnswer>;
  /** The online user called `name`. */
  lookup(name: string): Promise<UserEntry>;
  /** Leaves a sealed message (base64) for `to`; resolves with when it is dropped unread. */
  mail(to: string, sealed: string): Promise<number>;
  /** Tells the directory these held messages were handled. */
  mailAck(ids: number[]): Promise<void>;
}

/** The service's collaborators. */
export type MailServiceOptions = {
  name: Name;
  identity: Identity;
  directory: MailDirectory;
  trust: PeerTrust;
  book: MailBook;
  prekeys: PrekeyRing;
  /** Where events about no command go (held mail, receipts). */
  sink: EventSink;
  clock?: () => number;
};

/** Offline mail: send, receive, receipts, carried out. */
export class MailService {
  readonly #o: MailServiceOptions;
  readonly #clock: () => number;
  readonly #room: MailRoom;
  /** The sends under way, by job: where their events go and how they end. */
  readonly #sends = new Map<number, { out: EventSink; done: PromiseWithResolvers<void> }>();
  /** Sends one after another, so messages reach the directory in the order typed. */
  #sending: Promise<void> = Promise.resolve();
  #acksLost = 0;
  /** Groups (issue 24): where group frames that came as mail go. */
  #onGroup: ((frame: GroupMail) => void) | undefined;

  /** A service for the user `options.name`. */
  constructor(options: MailServiceOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
    this.#room = new MailRoom(options.name, options.trust);
  }

  /** Failed acknowledgements (the directory away): those messages come again, and show once. */
  get acksLost(): number {
    return this.#acksLost;
  }

  /** Receipts that could not be sent. */
  get receiptsLost(): number {
    return this.#room.receiptsLost;
  }

  /**
   * Seals `text` to `to`'s prekey and leaves it at the directory, reporting
   * to `out`: `queued`, or `undelivered` or a `security-warning` and nothing
   * sent. Rejects with a ClientError, or the directory's error.
   */
  send(to: Name, text: string, out: EventSink = this.#o.sink): Promise<void> {
    const sent = this.#sending.then(() => {
      const job = this.#room.job();
      const entry = { out, done: Promise.withResolvers<void>() };
      this.#sends.set(job, entry);
      const time = this.#clock();
      this.#run(this.#room.handle({ type: "send", job, to, text, id: randomId(), time }));
      return entry.done.promise;
    });
    // The next send waits for this one, whatever its outcome; the outcome is the caller's.
    this.#sending = sent.catch(() => {});
    return sent;
  }

  /** Groups (issue 24): hands every proven group frame that comes as mail to `handler`. */
  onGroupFrame(handler: (mail: GroupMail) => void): void {
    this.#onGroup = handler;
  }

  /**
   * Groups (issue 24): seals `frame` for `to`, only to `member`'s key, and
   * leaves it at the directory, after the sends before it. Resolves once the
   * directory holds it; rejects when it will not (warned, refused, away).
   */
  sendGroup(to: Name, member: PublicIdentity, frame: Record<string, unknown>): Promise<void> {
    const sent = this.#sending.then(() => {
      const job = this.#room.job();
      const entry = { out: this.#o.sink, done: Promise.withResolvers<void>() };
      this.#sends.set(job, entry);
      this.#run(
        this.#room.handle({ type: "send-group", job, to, member, frame, time: this.#clock() }),
      );
      return entry.done.promise;
    });
    this.#sending = sent.catch(() => {});
    return sent;
  }

  /** Handles one sealed message the directory held for us. */
  receive(mail: HeldMail): void {
    const job = this.#room.job();
    this.#run(this.#room.handle({ type: "arrived", job, mail, now: this.#clock() }));
  }

  /** Reports as undelivered (to `out`) the messages the directory has dropped unread by now. */
  async expire(out: EventSink = this.#o.sink): Promise<void> {
    const messages = await this.#o.book.expired(this.#clock());
    for (const action of this.#room.handle({ type: "expired", messages })) {
      if (action.type === "show") out.emit(action.event);
    }
  }

  /** `/mail`: the messages waiting for a receipt, after reporting those dropped. */
  async waiting(out: EventSink = this.#o.sink): Promise<void> {
    await this.expire(out);
    out.emit(outboxEvent(this.#o.book.outbox));
  }

  #run(actions: MailAction[]): void {
    for (const action of actions) this.#do(action);
  }

  #feed(event: MailEvent): void {
    this.#run(this.#room.handle(event));
  }

  /** Runs `work` for `job`; its result is fed back, or its failure as `failed`. */
  #step<T>(job: number, work: () => Promise<T>, event: (value: T) => MailEvent): void {
    Promise.resolve().then(work).then(
      (value) => this.#feed(event(value)),
      (error) => this.#feed({ type: "failed", job, error }),
    );
  }

  #do(action: MailAction): void {
    const { directory, book, trust } = this.#o;
    switch (action.type) {
      case "show": {
        const send = action.job === undefined ? undefined : this.#sends.get(action.job);
        return (send?.out ?? this.#o.sink).emit(action.event);
      }
      case "trust": {
        const { name, fingerprint } = action.action;
        if (action.action.type === "note-changed") return trust.noteChanged(name, fingerprint);
        return void trust.pinFirstContact(name, fingerprint).catch((error) => this.#report(error));
      }
      case "ask-prekey":
        return this.#step(
          action.job,
          () => directory.prekey(action.name),
          (answer) => ({ type: "prekey", job: action.job, answer }),
        );
      case "ask-binding":
        return this.#step(
          action.job,
          () => this.#binding(action.name, action.presence),
          (binding) => ({ type: "binding", job: action.job, binding }),
        );
      case "seal":
        return this.#step(
          action.job,
          () =>
            sealMail(
              this.#o.identity,
              action.to.identity,
              action.to.prekey,
              encodeBody(action.body),
            ),
          (sealed) => ({ type: "sealed", job: action.job, sealed }),
        );
      case "deposit":
        return this.#step(
          action.job,
          () => directory.mail(action.to, toBase64(action.sealed)),
          (expires) => ({ type: "deposited", job: action.job, expires }),
        );
      case "record":
        return this.#step(
          action.job,
          () => book.sent(action.message),
          (dropped) => ({ type: "recorded", job: action.job, dropped }),
        );
      case "open":
        return this.#step(
          action.job,
          () => this.#open(action.sealed),
          (opened) => ({ ...opened, job: action.job }),
        );
      case "first-sight":
        return this.#step(
          action.job,
          () => book.firstSight(action.sender, action.id, action.now),
          (first) => ({ type: "seen", job: action.job, first }),
        );
      case "take-receipted":
        return this.#step(
          action.job,
          () => book.receipted(action.key, action.ids),
          (messages) => ({ type: "receipted", job: action.job, messages }),
        );
      case "ack":
        // Safe to lose: what is not acknowledged comes again next session and is shown once
        // (the mail book remembers ids); counted, for the diagnostics.
        return void directory.mailAck(action.ids).catch(() => this.#acksLost++);
      case "group":
        // Groups (issue 24): without a group service, a group frame has nobody to go to.
        return this.#onGroup?.({
          from: action.from,
          sender: action.sender,
          frame: action.frame,
          known: action.known,
        });
      case "done": {
        const send = this.#sends.get(action.job);
        this.#sends.delete(action.job);
        if (!send) return;
        if (action.problem) send.done.reject(new ClientError(action.problem));
        else if (action.error !== undefined) send.done.reject(action.error);
        else send.done.resolve();
      }
    }
  }

  /** Opens an envelope: the `opened` or `unopened` event, without its job. */
  async #open(
    sealed: string,
  ): Promise<
    | { type: "opened"; sender: Identity["public"]; body: Uint8Array }
    | { type: "unopened"; code: string; claimed: string }
  > {
    const envelope = fromBase64(sealed);
    const claimed = mailSender(envelope)?.fingerprint ?? "";
    try {
      const opened = await openMail(
        this.#o.identity.public,
        this.#o.prekeys.all(this.#clock()),
        envelope,
      );
      return { type: "opened", sender: opened.sender, body: opened.body };
    } catch (error) {
      if (!(error instanceof MailError)) throw error;
      return { type: "unopened", code: error.code, claimed };
    }
  }

  /** What binds `name` now: its prekey entry, or (`presence`) its online entry. */
  async #binding(name: Name, presence: boolean): Promise<Binding> {
    const away = (error: unknown): boolean =>
      error instanceof DirectoryUnavailableError || error instanceof DirectoryError;
    if (presence) {
      try {
        return { kind: "presence", entry: await this.#o.directory.lookup(name) };
      } catch (error) {
        if (error instanceof DirectoryError && error.code === "not-found") {
          return { kind: "presence", entry: undefined };
        }
        if (away(error)) return { kind: "later" };
        throw error;
      }
    }
    try {
      return { kind: "prekey", answer: await this.#o.directory.prekey(name) };
    } catch (error) {
      if (error instanceof DirectoryError && error.code === "not-found") return { kind: "none" };
      if (error instanceof DirectoryError && error.code === "no-prekey") {
        return { kind: "no-prekey" };
      }
      if (away(error)) return { kind: "later" };
      throw error;
    }
  }

  #report(error: unknown): void {
    this.#o.sink.emit(errorEvent(error));
  }
}
