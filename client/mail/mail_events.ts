/**
 * The mail room's vocabulary (`mail_room.ts`): what comes in (a message to
 * send, held mail, and what each step of I/O gave), what goes out (ask the
 * directory this, seal or open that, deposit, record, acknowledge, show),
 * and the events it shows, built from data only.
 *
 * @module
 */
import type { Fingerprint, PublicIdentity } from "../../crypto/mod.ts";
import type { KeyStatus } from "../trust/mod.ts";
import type { Name, UserEntry, WirePrekey } from "../../protocol/mod.ts";
import type {
  ClientEvent,
  ClientProblem,
  SecurityWarning,
  UndeliveredReason,
} from "../core/mod.ts";
import type { TrustAction } from "../trust/mod.ts";
import type { MailBody } from "./mail_body.ts";
import type { Outgoing } from "./mail_book.ts";

/** Most UTF-8 bytes of text one offline message carries (it must fit MAX_SEALED_BYTES sealed). */
export const MAX_MAIL_TEXT_BYTES = 4096;
/** How far ahead of ours a sender's clock may be. */
export const MAX_CLOCK_AHEAD_MS = 24 * 3600 * 1000;

/** A sealed message the directory held for us. */
export type HeldMail = { readonly id: number; readonly sealed: string; readonly stored: number };

/** The directory's prekey answer for a name (unchecked). */
export type PrekeyAnswer = {
  readonly name: string;
  readonly key: string;
  readonly prekey: WirePrekey;
};

/** A recipient whose key and prekey were checked. */
export type Recipient = {
  readonly name: Name;
  readonly identity: PublicIdentity;
  readonly prekey: Uint8Array;
};

/** What the directory says binds a name now (docs/protocol.md §12.2, who may speak for a name). */
export type Binding =
  /** Its prekey entry: the bound key. */
  | { readonly kind: "prekey"; readonly answer: PrekeyAnswer }
  /** Bound, but with no usable prekey (an old client): only its presence can say its key. */
  | { readonly kind: "no-prekey" }
  /** Its presence: the online entry, or undefined when nobody online holds it. */
  | { readonly kind: "presence"; readonly entry: UserEntry | undefined }
  /** Nobody holds the name. */
  | { readonly kind: "none" }
  /** The directory cannot be asked now: the message comes back later. */
  | { readonly kind: "later" };

/** What comes in; `job` is the room's number for one message sent, held or receipted. */
export type MailEvent =
  /** Send `text` to `to` as message `id`, written at `time`. */
  | {
    readonly type: "send";
    readonly job: number;
    readonly to: Name;
    readonly text: string;
    readonly id: string;
    readonly time: number;
  }
  /** Groups (issue 24): send group `frame` to `to`, sealed only to `member`'s key. */
  | {
    readonly type: "send-group";
    readonly job: number;
    readonly to: Name;
    readonly member: PublicIdentity;
    readonly frame: Record<string, unknown>;
    readonly time: number;
  }
  /** The directory's prekey answer for the job's recipient. */
  | { readonly type: "prekey"; readonly job: number; readonly answer: PrekeyAnswer }
  | { readonly type: "sealed"; readonly job: number; readonly sealed: Uint8Array }
  /** The directory holds it until `expires`. */
  | { readonly type: "deposited"; readonly job: number; readonly expires: number }
  /** The outbox has the job's message; `dropped` is the oldest, pushed out. */
  | { readonly type: "recorded"; readonly job: number; readonly dropped?: Outgoing }
  /** A held message came, at `now`. */
  | {
    readonly type: "arrived";
    readonly job: number;
    readonly mail: HeldMail;
    readonly now: number;
  }
  /** It opened: signed by `sender`. */
  | {
    readonly type: "opened";
    readonly job: number;
    readonly sender: PublicIdentity;
    readonly body: Uint8Array;
  }
  /** It did not open: `code` says why (a MailError code); `claimed`: the sender it names. */
  | {
    readonly type: "unopened";
    readonly job: number;
    readonly code: string;
    readonly claimed: string;
  }
  /** What binds the name the job's sender claims. */
  | { readonly type: "binding"; readonly job: number; readonly binding: Binding }
  /** Whether the job's message was seen for the first time. */
  | { readonly type: "seen"; readonly job: number; readonly first: boolean }
  /** The messages of ours the job's receipt covered, now delivered. */
  | { readonly type: "receipted"; readonly job: number; readonly messages: readonly Outgoing[] }
  /** A step of the job failed unexpectedly (`error`: what was thrown). */
  | { readonly type: "failed"; readonly job: number; readonly error: unknown }
  /** Messages of ours the directory dropped unread by now. */
  | { readonly type: "expired"; readonly messages: readonly Outgoing[] };

/** What the shell is to do. */
export type MailAction =
  /** Show `event`; `job`: the job it is about (a send's is the command's reply). */
  | { readonly type: "show"; readonly event: ClientEvent; readonly job?: number }
  /** Remember a changed key, or pin one (the warnings come as `show`). */
  | { readonly type: "trust"; readonly action: Exclude<TrustAction, { type: "warn" }> }
  | { readonly type: "ask-prekey"; readonly job: number; readonly name: Name }
  /** Ask what binds `name` now: its prekey entry (`presence`: its online entry). */
  | {
    readonly type: "ask-binding";
    readonly job: number;
    readonly name: Name;
    readonly presence: boolean;
  }
  | { readonly type: "seal"; readonly job: number; readonly to: Recipient; readonly body: MailBody }
  | {
    readonly type: "deposit";
    readonly job: number;
    readonly to: Name;
    readonly sealed: Uint8Array;
  }
  | { readonly type: "record"; readonly job: number; readonly message: Outgoing }
  | { readonly type: "open"; readonly job: number; readonly sealed: string }
  | {
    readonly type: "first-sight";
    readonly job: number;
    readonly sender: Fingerprint;
    readonly id: string;
    readonly now: number;
  }
  /** Take from the outbox the messages `ids` to the holder of `key` (base64). */
  | {
    readonly type: "take-receipted";
    readonly job: number;
    readonly key: string;
    readonly ids: string[];
  }
  /** Tell the directory these held messages were handled (it deletes them). */
  | { readonly type: "ack"; readonly ids: number[] }
  /** Send job `job` is over; with `problem` or `error`, the command fails so. */
  | {
    readonly type: "done";
    readonly job: number;
    readonly problem?: ClientProblem;
    readonly error?: unknown;
  }
  /**
   * Groups (issue 24): a group frame from `from`, whose signer `sender` is
   * proven to speak for the name; `known`: how well we knew that key.
   */
  | {
    readonly type: "group";
    readonly from: Name;
    readonly sender: PublicIdentity;
    readonly frame: Record<string, unknown>;
    readonly known: KeyStatus;
  };

/** The warning for a held message refused unshown: who signed it (if known), the name, why. */
export function mailRejected(got: string, peer: string, detail: string): SecurityWarning {
  return { type: "security-warning", peer, reason: "mail-rejected", expected: "", got, detail };
}

/** `undelivered` for the messages to each peer in `messages`, and why. */
export function undeliveredEvents(
  messages: readonly Outgoing[],
  reason: UndeliveredReason,
): ClientEvent[] {
  return [...new Set(messages.map((m) => m.peer))].map((peer) => {
    const mine = messages.filter((m) => m.peer === peer);
    return {
      type: "undelivered",
      peer,
      ids: mine.map((m) => m.id),
      texts: mine.map((m) => m.text),
      reason,
    };
  });
}

/** `/mail`: the messages still waiting for a receipt. */
export function outboxEvent(outbox: readonly Outgoing[]): ClientEvent {
  return {
    type: "mail",
    messages: outbox.map((m) => ({
      peer: m.peer,
      id: m.id,
      text: m.text,
      time: new Date(m.time).toISOString(),
      expires: new Date(m.expires).toISOString(),
    })),
  };
}

/** A `show` action; `job`: the job it is about (a send's goes to the command's reply). */
export function show(event: ClientEvent, job?: number): MailAction {
  return job === undefined ? { type: "show", event } : { type: "show", event, job };
}

/** The trust rules' actions as the room's: warnings shown, pins and changed keys passed on. */
export function trustActions(actions: readonly TrustAction[], job?: number): MailAction[] {
  return actions.map((a) =>
    a.type === "warn" ? show(a.warning, job) : { type: "trust", action: a }
  );
}
