/**
 * Offline mail in the client (docs/protocol.md §12), as a machine without
 * I/O: sealing a message to someone who is away (its outgoing half is
 * `outbound.ts`), opening what the directory held for us, proving who sent
 * it, receipts both ways and the acknowledgements, and the checks that keep
 * a lying directory from reading, altering, replaying or forging any of it.
 * Each step's I/O (ask the directory, seal, open, deposit, write the mail
 * book) is an action; its result comes back as an event. Held messages are
 * handled one at a time, in the order the directory sent them; once none
 * waits, the receipts they call for go out, one per sender, and then the
 * acknowledgements, in as few requests as the protocol allows.
 *
 * The receiving side is in one state: `idle`, `handling` one message, or
 * `settling` (the receipts owed are on their way; new mail waits).
 *
 * @module
 */
import { type Fingerprint, fromBase64, PublicIdentity, toBase64 } from "../../crypto/mod.ts";
import { MAX_ACK_IDS, type Name, nameKey, parseName } from "../../protocol/mod.ts";
import { errorMessage } from "../../errors/mod.ts";
import type { ClientEvent } from "../core/mod.ts";
import {
  admitProven,
  checkUser,
  firstContact,
  isSelfPeer,
  type TrustView,
  vetKey,
} from "../trust/mod.ts";
import { decodeBody, type MailBody, MAX_RECEIPT_IDS } from "./mail_body.ts";
import { SEEN_KEEP_MS } from "./mail_book.ts";
import {
  type Binding,
  type HeldMail,
  type MailAction,
  type MailEvent,
  mailRejected,
  MAX_CLOCK_AHEAD_MS,
  show,
  trustActions,
  undeliveredEvents,
} from "./mail_events.ts";
import { Outbound, type OutboundStep } from "./outbound.ts";

/** A held message being handled, and what is known of it so far. */
type Held = {
  readonly job: number;
  readonly mail: HeldMail;
  readonly now: number;
  sender?: PublicIdentity;
  body?: MailBody;
  from?: Name;
};

/** Where the receiving side is: idle, handling one message, or sending the receipts it owes. */
export type DeskKind = "idle" | "handling" | "settling";

/** The receiving side, with what each state holds. */
type Desk =
  | { readonly kind: "idle" }
  | { readonly kind: "handling"; readonly held: Held }
  | { readonly kind: "settling"; readonly receipts: Set<number> };

/** A receipt owed to a signer: the ids it signed that were shown. */
type Owed = {
  readonly name: Name;
  readonly signer: PublicIdentity;
  readonly ids: string[];
  readonly now: number;
};

/** Offline mail: send, receive, receipts. */
export class MailRoom {
  readonly #self: Name;
  readonly #trust: TrustView;
  readonly #out: Outbound;
  readonly #inbox: Held[] = [];
  #desk: Desk = { kind: "idle" };
  /** Handled messages to acknowledge. */
  #acks: number[] = [];
  readonly #owed = new Map<Fingerprint, Owed>();
  #nextJob = 1;
  #receiptsLost = 0;

  /** A room for `self`, reading pins through `trust`. */
  constructor(self: Name, trust: TrustView) {
    this.#self = self;
    this.#trust = trust;
    this.#out = new Outbound(self, trust);
  }

  /** A fresh job number, for a `send` or an `arrived` event. */
  job(): number {
    return this.#nextJob++;
  }

  /** Receipts that could not be sent (refused, or the directory away): their senders see none. */
  get receiptsLost(): number {
    return this.#receiptsLost;
  }

  /** Where the receiving side is: idle, handling a message, or settling. */
  get desk(): DeskKind {
    return this.#desk.kind;
  }

  /** Takes one event; returns what to do, in order. */
  handle(event: MailEvent): MailAction[] {
    switch (event.type) {
      case "send":
        return this.#sent(this.#out.message(event.job, event.to, event.text, event.id, event.time));
      case "send-group":
        return this.#sent(
          this.#out.group(event.job, event.to, event.member, event.frame, event.time),
        );
      case "prekey":
      case "sealed":
      case "deposited":
      case "recorded":
        return this.#sent(this.#out.handle(event));
      case "failed":
        if (this.#out.has(event.job)) return this.#sent(this.#out.handle(event));
        return this.#withHeld(event.job, () => [
          show({
            type: "error",
            code: "mail-failed",
            about: {
              code: "mail-failed",
              problem: "mail-failed",
              cause: errorMessage(event.error),
            },
          }),
          // Not acknowledged: it comes again with the next session.
          ...this.#finish("later"),
        ]);
      case "arrived":
        this.#inbox.push({ job: event.job, mail: event.mail, now: event.now });
        return this.#desk.kind === "idle" ? this.#next() : [];
      case "opened":
        return this.#withHeld(event.job, (held) => this.#opened(held, event.sender, event.body));
      case "unopened":
        return this.#withHeld(event.job, () => this.#reject(event.claimed, "", event.code));
      case "binding":
        return this.#withHeld(event.job, (held) => this.#bound(held, event.binding));
      case "seen":
        return this.#withHeld(event.job, (held) => this.#seen(held, event.first));
      case "receipted":
        return this.#withHeld(event.job, () => [
          ...event.messages.map((m) =>
            show({ type: "delivered", peer: m.peer, id: m.id, text: m.text, offline: true })
          ),
          ...this.#finish("handled"),
        ]);
      case "expired":
        return undeliveredEvents(event.messages, "expired").map((e) => show(e));
    }
  }

  /** A send step's actions; a receipt's end counts toward settling. */
  #sent(step: OutboundStep): MailAction[] {
    if (!step.ended?.receipt) return step.actions;
    if (step.ended.lost) this.#receiptsLost++;
    if (this.#desk.kind !== "settling") return step.actions;
    this.#desk.receipts.delete(step.ended.job);
    if (this.#desk.receipts.size > 0) return step.actions;
    this.#desk = { kind: "idle" };
    return [...step.actions, ...this.#acknowledge(), ...this.#next()];
  }

  /** The checks of a message that opened, in the order docs/protocol.md §12.2 gives them. */
  #opened(held: Held, sender: PublicIdentity, bytes: Uint8Array): MailAction[] {
    let body: MailBody;
    let from: Name;
    try {
      body = decodeBody(bytes);
      from = parseName(body.from);
    } catch {
      return this.#reject(sender.fingerprint, "", "malformed");
    }
    const signer = sender.fingerprint;
    Object.assign(held, { sender, body, from });
    if (nameKey(body.to as Name) !== nameKey(this.#self)) {
      return this.#reject(signer, from, "not-for-me");
    }
    if (held.now - body.time > SEEN_KEEP_MS) return this.#reject(signer, from, "too-old");
    // A sender's clock may run ahead; a date days away is a lie the screen would show.
    if (body.time - held.now > MAX_CLOCK_AHEAD_MS) {
      return this.#reject(signer, from, "from-the-future");
    }
    // Your own key, or your own name: never a peer's, to show or to pin.
    if (isSelfPeer(this.#trust, from, signer)) return this.#reject(signer, from, "self");
    // The signer must be who we know under that name, or on first contact the key the
    // directory binds to it now: anyone can sign, so the name is what has to be proven.
    const vetted = vetKey(
      this.#trust,
      from,
      signer,
      () => mailRejected(signer, from, "key-of-another"),
    );
    const actions = trustActions(vetted.actions);
    if (vetted.value === undefined) return [...actions, ...this.#finish("handled")];
    if (this.#trust.pin(from)) return [...actions, ...this.#proven(held)];
    return [...actions, { type: "ask-binding", job: held.job, name: from, presence: false }];
  }

  /**
   * What binds the claimed name now (docs/protocol.md §12.4): by the rules an
   * incoming chat follows (admitProven), the signer must be the bound key.
   */
  #bound(held: Held, binding: Binding): MailAction[] {
    const from = held.from!;
    const signer = held.sender!.fingerprint;
    let listed: Fingerprint | undefined;
    try {
      switch (binding.kind) {
        case "later":
          return this.#finish("later");
        case "no-prekey":
          // Bound, with no usable prekey (an old client): only its presence can say its key.
          return [{ type: "ask-binding", job: held.job, name: from, presence: true }];
        case "none":
          break;
        case "prekey":
          if (nameKey(parseName(binding.answer.name)) !== nameKey(from)) {
            throw new TypeError("another name");
          }
          listed = PublicIdentity.fromRaw(fromBase64(binding.answer.key)).fingerprint;
          break;
        case "presence": {
          const checked = binding.entry && checkUser(binding.entry, { name: from });
          if (checked && "problem" in checked) throw new TypeError(checked.problem);
          listed = checked?.fingerprint;
        }
      }
    } catch {
      return this.#reject(signer, from, "directory-inconsistent");
    }
    const decision = admitProven("responder", undefined, listed, signer);
    if (!decision.admit) return this.#reject(signer, from, decision.reason);
    return this.#proven(held);
  }

  /** The sender is proven: pinned on first contact, then its receipt or message is taken. */
  #proven(held: Held): MailAction[] {
    const sender = held.sender!;
    const body = held.body!;
    // Groups (issue 24): how well the key was known before this mail pins it, for invitations.
    const pin = this.#trust.pin(held.from!);
    const known = pin ? (pin.verified ? "verified" : "pinned") : "new";
    const actions = trustActions(firstContact(this.#trust, held.from!, sender.fingerprint));
    const job = held.job;
    if (body.type === "group") {
      // The group book checks the frame against the group; shown or not, the mail is handled.
      const group: MailAction = {
        type: "group",
        from: held.from!,
        sender,
        frame: body.frame,
        known,
      };
      return [...actions, group, ...this.#finish("handled")];
    }
    if (body.type === "receipt") {
      return [...actions, {
        type: "take-receipted",
        job,
        key: toBase64(sender.key),
        ids: body.ids,
      }];
    }
    const fingerprint = sender.fingerprint;
    return [...actions, {
      type: "first-sight",
      job,
      sender: fingerprint,
      id: body.id,
      now: held.now,
    }];
  }

  /** A proven message: shown the first time it is seen (and a receipt owed), else only acknowledged. */
  #seen(held: Held, first: boolean): MailAction[] {
    if (!first) return this.#finish("handled");
    const body = held.body as Extract<MailBody, { type: "message" }>;
    const signer = held.sender!;
    const owed = this.#owed.get(signer.fingerprint) ??
      { name: held.from!, signer, ids: [], now: held.now };
    owed.ids.push(body.id);
    this.#owed.set(signer.fingerprint, owed);
    const shown: ClientEvent = {
      type: "message",
      peer: held.from!,
      id: body.id,
      text: body.text,
      time: new Date(body.time).toISOString(),
      offline: true,
    };
    return [show(shown), ...this.#finish("handled")];
  }

  /** Refuses the held message unshown (acknowledged: it could never open, and would come back forever). */
  #reject(got: string, peer: string, detail: string): MailAction[] {
    return [show(mailRejected(got, peer, detail)), ...this.#finish("handled")];
  }

  /** Ends the held message in hand; starts the next, or settles once none waits. */
  #finish(how: "handled" | "later"): MailAction[] {
    if (this.#desk.kind !== "handling") return [];
    if (how === "handled") this.#acks.push(this.#desk.held.mail.id);
    this.#desk = { kind: "idle" };
    return this.#next();
  }

  #next(): MailAction[] {
    const held = this.#inbox.shift();
    if (held) {
      this.#desk = { kind: "handling", held };
      return [{ type: "open", job: held.job, sealed: held.mail.sealed }];
    }
    // None waits: the receipts owed go out, one per sender (and per MAX_RECEIPT_IDS), then the acks.
    const receipts = new Set<number>();
    const actions: MailAction[] = [];
    for (const { name, signer, ids, now } of this.#owed.values()) {
      for (let i = 0; i < ids.length; i += MAX_RECEIPT_IDS) {
        const job = this.job();
        receipts.add(job);
        actions.push(
          ...this.#out.receipt(job, name, signer, ids.slice(i, i + MAX_RECEIPT_IDS), now).actions,
        );
      }
    }
    this.#owed.clear();
    if (receipts.size === 0) return this.#acknowledge();
    this.#desk = { kind: "settling", receipts };
    return actions;
  }

  #acknowledge(): MailAction[] {
    const acks = this.#acks;
    this.#acks = [];
    const actions: MailAction[] = [];
    for (let i = 0; i < acks.length; i += MAX_ACK_IDS) {
      actions.push({ type: "ack", ids: acks.slice(i, i + MAX_ACK_IDS) });
    }
    return actions;
  }

  #withHeld(job: number, step: (held: Held) => MailAction[]): MailAction[] {
    return this.#desk.kind === "handling" && this.#desk.held.job === job
      ? step(this.#desk.held)
      : [];
  }
}
