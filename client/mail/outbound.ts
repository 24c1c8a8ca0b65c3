/**
 * The outgoing half of the mail room (docs/protocol.md §12.2, sending), as a
 * machine without I/O: a message or a receipt goes from the recipient's
 * prekey answer (checked against the pin, or a receipt's signer, and the
 * prekey's signature) to a seal, a deposit and, for a message, the outbox.
 * Each job ends once: a message's with its command's outcome, a receipt's
 * counted as sent or lost.
 *
 * @module
 */
import { fromBase64, PublicIdentity, toBase64, utf8, verifyPrekey } from "../../crypto/mod.ts";
import {
  DirectoryError,
  fromWirePrekey,
  MAX_SEALED_BYTES,
  type Name,
  nameKey,
  parseName,
} from "../../protocol/mod.ts";
import type {
  ClientEvent,
  ClientProblem,
  SecurityWarning,
  UndeliveredReason,
} from "../core/mod.ts";
import { firstContact, refusal, type TrustView, vetKey } from "../trust/mod.ts";
import type { MailBody } from "./mail_body.ts";
import {
  type MailAction,
  type MailEvent,
  MAX_MAIL_TEXT_BYTES,
  type PrekeyAnswer,
  type Recipient,
  show,
  trustActions,
  undeliveredEvents,
} from "./mail_events.ts";

/** The directory's refusals that mean "this message will not be held", by the reason reported. */
const REFUSALS: Partial<Record<string, UndeliveredReason>> = {
  "mailbox-full": "mailbox-full",
  "mail-off": "refused",
  "no-prekey": "refused",
};

/** A message or receipt on its way out. */
type Sending = {
  readonly body: MailBody;
  /** A receipt goes only to the key that signed the messages (a group frame: the member's). */
  readonly expected?: PublicIdentity;
  recipient?: Recipient;
  /** Groups (issue 24): the directory holds it. */
  deposited?: boolean;
};

/** How a send job ended: a receipt that did not go is `lost`. */
export type SendEnd = { readonly job: number; readonly receipt: boolean; readonly lost: boolean };

/** What a step gave: the actions, and the job's end when it ended. */
export type OutboundStep = { readonly actions: MailAction[]; readonly ended?: SendEnd };

/** The events of the sending side. */
export type OutboundEvent = Extract<
  MailEvent,
  { type: "prekey" | "sealed" | "deposited" | "recorded" | "failed" }
>;

/** Messages and receipts on their way to the directory. */
export class Outbound {
  readonly #self: Name;
  readonly #trust: TrustView;
  readonly #sends = new Map<number, Sending>();

  /** Sends as `self`, reading pins through `trust`. */
  constructor(self: Name, trust: TrustView) {
    this.#self = self;
    this.#trust = trust;
  }

  /** Whether `job` is a send under way. */
  has(job: number): boolean {
    return this.#sends.has(job);
  }

  /** Starts sending message `id` (`text`, written at `time`) to `to`. */
  message(job: number, to: Name, text: string, id: string, time: number): OutboundStep {
    if (utf8(text).length > MAX_MAIL_TEXT_BYTES) {
      return this.#end(job, {
        problem: { code: "too-long", problem: "mail-too-long", max: MAX_MAIL_TEXT_BYTES },
      });
    }
    if (nameKey(to) === nameKey(this.#self)) {
      return this.#end(job, {
        problem: { code: "self", problem: "self", name: to, command: "/msg" },
      });
    }
    this.#sends.set(job, { body: { type: "message", from: this.#self, to, id, time, text } });
    return { actions: [{ type: "ask-prekey", job, name: to }] };
  }

  /** Starts sending a receipt for `ids` to `to`, sealed only to `signer`'s key. */
  receipt(
    job: number,
    to: Name,
    signer: PublicIdentity,
    ids: string[],
    time: number,
  ): OutboundStep {
    this.#sends.set(job, {
      body: { type: "receipt", from: this.#self, to, ids, time },
      expected: signer,
    });
    return { actions: [{ type: "ask-prekey", job, name: to }] };
  }

  /**
   * Groups (issue 24): starts sending a group frame to `to`, sealed only to
   * `member`'s key (the one the membership lists).
   */
  group(
    job: number,
    to: Name,
    member: PublicIdentity,
    frame: Record<string, unknown>,
    time: number,
  ): OutboundStep {
    this.#sends.set(job, {
      body: { type: "group", from: this.#self, to, time, frame },
      expected: member,
    });
    return { actions: [{ type: "ask-prekey", job, name: to }] };
  }

  /** Takes the result of a send job's step. */
  handle(event: OutboundEvent): OutboundStep {
    const sending = this.#sends.get(event.job);
    if (!sending) return { actions: [] };
    const job = event.job;
    switch (event.type) {
      case "prekey":
        return this.#recipient(job, sending, event.answer);
      case "sealed":
        if (event.sealed.length > MAX_SEALED_BYTES) {
          return this.#end(job, { problem: { code: "too-long", problem: "sealed-too-long" } });
        }
        return {
          actions: [{ type: "deposit", job, to: sending.recipient!.name, sealed: event.sealed }],
        };
      case "deposited": {
        sending.deposited = true;
        if (sending.body.type !== "message") return this.#end(job);
        const { id, text, time } = sending.body;
        const { name, identity } = sending.recipient!;
        const key = toBase64(identity.key);
        return {
          actions: [{
            type: "record",
            job,
            message: { id, peer: name, key, text, time, expires: event.expires },
          }],
        };
      }
      case "recorded": {
        const body = sending.body as Extract<MailBody, { type: "message" }>;
        const queued: ClientEvent = {
          type: "queued",
          peer: sending.recipient!.name,
          id: body.id,
          text: body.text,
          time: new Date(body.time).toISOString(),
        };
        const dropped = event.dropped ? undeliveredEvents([event.dropped], "outbox-full") : [];
        return this.#end(job, {}, [queued, ...dropped].map((e) => show(e, job)));
      }
      case "failed":
        return this.#failed(job, sending, event.error);
    }
  }

  #failed(job: number, sending: Sending, error: unknown): OutboundStep {
    const refused = error instanceof DirectoryError && REFUSALS[error.code];
    if (!refused || sending.body.type !== "message") return this.#end(job, { error });
    const { id, text } = sending.body;
    const shown: ClientEvent = {
      type: "undelivered",
      peer: sending.recipient?.name ?? sending.body.to,
      ids: [id],
      texts: [text],
      reason: refused,
      message: (error as DirectoryError).message,
    };
    return this.#end(job, {}, [show(shown, job)]);
  }

  /**
   * The directory's word on the job's recipient, checked: the key against our
   * pin (or the receipt's signer), the prekey's signature against the key.
   * Seals once all holds; else warns and ends the job.
   */
  #recipient(job: number, sending: Sending, answer: PrekeyAnswer): OutboundStep {
    const asked = sending.body.to as Name;
    let identity: PublicIdentity;
    let spelled: Name;
    try {
      identity = PublicIdentity.fromRaw(fromBase64(answer.key));
      spelled = parseName(answer.name);
      if (nameKey(spelled) !== nameKey(asked)) throw new TypeError("another name");
    } catch {
      const warning: ClientEvent = {
        type: "security-warning",
        peer: asked,
        reason: "directory-inconsistent",
        expected: "",
        got: "",
        named: answer.name,
      };
      return this.#end(job, {}, [show(warning, job)]);
    }
    const fingerprint = identity.fingerprint;
    const actions: MailAction[] = [];
    if (sending.expected && sending.expected.fingerprint !== fingerprint) {
      actions.push(...trustActions(
        refusal(spelled, {
          admit: false,
          reason: "directory-mismatch",
          expected: sending.expected.fingerprint,
          got: fingerprint,
        }),
        job,
      ));
      return this.#end(job, {}, actions);
    }
    if (!sending.expected) {
      const keyOfAnother = (named: string): SecurityWarning => ({
        type: "security-warning",
        peer: spelled,
        reason: "directory-inconsistent",
        expected: fingerprint,
        got: fingerprint,
        problem: "key-of-another",
        named,
      });
      const vetted = vetKey(this.#trust, spelled, fingerprint, keyOfAnother);
      actions.push(...trustActions(vetted.actions, job));
      if (vetted.value === undefined) return this.#end(job, {}, actions);
    }
    let prekey;
    try {
      prekey = fromWirePrekey(answer.prekey);
    } catch {
      prekey = undefined;
    }
    if (!prekey || !verifyPrekey(identity, prekey)) {
      const warning: ClientEvent = {
        type: "security-warning",
        peer: spelled,
        reason: "prekey-invalid",
        expected: fingerprint,
        got: "",
      };
      return this.#end(job, {}, [...actions, show(warning, job)]);
    }
    actions.push(...trustActions(firstContact(this.#trust, spelled, fingerprint), job));
    sending.recipient = { name: spelled, identity, prekey: prekey.key };
    const body = { ...sending.body, to: spelled };
    return { actions: [...actions, { type: "seal", job, to: sending.recipient, body }] };
  }

  /** Ends `job`: a message's command is done (or fails so); a receipt is sent or lost. */
  #end(
    job: number,
    failure: { problem?: ClientProblem; error?: unknown } = {},
    before: MailAction[] = [],
  ): OutboundStep {
    const sending = this.#sends.get(job);
    this.#sends.delete(job);
    if (sending?.body.type === "receipt") {
      const lost = failure.problem !== undefined || failure.error !== undefined ||
        sending.recipient === undefined;
      return { actions: before, ended: { job, receipt: true, lost } };
    }
    if (sending?.body.type === "group" && !sending.deposited && !failure.problem) {
      // Groups (issue 24): a frame the directory does not hold fails its send, warned or not.
      failure = {
        problem: { code: "mail-failed", problem: "mail-failed", cause: "not deposited" },
        error: failure.error,
      };
    }
    return {
      actions: [...before, { type: "done", job, ...failure }],
      ended: { job, receipt: false, lost: false },
    };
  }
}
