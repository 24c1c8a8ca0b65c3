/**
 * Every sentence a person reads from the chat client, made from an event's
 * codes and data. The terminal interface renders these (after making network
 * text safe); `--json` adds them only as the documented `message` fields and
 * as the notices it writes to stderr. Errors' sentences live beside these
 * in `error_words.ts`, hole punching's in `punch_words.ts`.
 *
 * @module
 */
import { type Fingerprint, formatFingerprint } from "../../crypto/mod.ts";
import type { ClientEvent, Notice, UndeliveredReason } from "../core/mod.ts";
// Groups (issue 24): their sentences live beside these, in group_words.ts.
import { groupWarningWords, joinSentWords } from "./group_words.ts";
// Key transparency (docs/protocol.md §15.6): the log's warnings live in log_words.ts.
import { logWarningWords } from "./log_words.ts";
// Files (issue 23): sizes and ids in words.
import { shortId, sizeWords } from "./file_words.ts";

const fp = (f: string): string => formatFingerprint(f as Fingerprint);

/** The sentence for a notice. */
export function noticeWords(notice: Notice): string {
  switch (notice.code) {
    case "server-pinned":
      return `Pinned the directory's key ${
        fp(notice.fingerprint)
      } for ${notice.server} (first contact); a different key will be refused from now on`;
    case "request-sent":
      return `Asked ${notice.peer} to chat${
        notice.path === "relay" ? " (through the relay)" : ""
      }; waiting for them to accept`;
    case "request-expired":
      return `${notice.peer}'s chat request expired unanswered`;
    case "request-cancelled":
      return `${notice.peer} is no longer asking to chat`;
    case "request-evicted":
      return `${notice.peer}'s chat request was dropped: too many requests came from where it came from`;
    case "relay-fallback":
      // The relay joins a race the direct attempt may still win: say so, not that it failed.
      return `${notice.peer} has not answered directly yet; trying the directory's relay too`;
    case "directory-busy":
      return `The directory at ${notice.server} is busy; trying again in ${
        Math.ceil(notice.waitMs / 1000)
      } s`;
    case "home-exposed":
      // storage/ words the warning (serve shows the same one): it names the directory and the fix.
      return `Warning: ${notice.warning}`;
    // Groups (issue 24).
    case "group-join-sent":
      return joinSentWords(notice.title, notice.admin);
    // Files (issue 23):
    case "file-preparing":
      return `Hashing ${notice.name} (${sizeWords(notice.size)}) to offer it to ${notice.peer} as ${
        shortId(notice.id)
      }`;
    case "file-resuming":
      return `${notice.peer} offers ${notice.name} again: resuming without asking, ${
        sizeWords(notice.kept)
      } of ${sizeWords(notice.size)} kept from before (/cancel ${shortId(notice.id)} stops it)`;
    case "file-waiting":
      return `${notice.name} waits: 4 transfers with ${notice.peer} are under way`;
  }
}

/** Why a chat closed, as a sentence. */
export function closedWords(e: Extract<ClientEvent, { type: "chat-closed" }>): string {
  switch (e.reason) {
    case "eom":
      return e.by === "you" ? `You ended the chat with ${e.peer}` : `${e.peer} ended the chat`;
    case "declined":
      switch (e.detail) {
        case "security":
          return `${e.peer}'s client refused the chat: it does not trust your key for your name`;
        case "busy":
          return `${e.peer} has too many pending requests; try again later`;
        case "timeout":
          return e.by === "you"
            ? `You did not answer ${e.peer}'s request in time`
            : `${e.peer} did not answer your request in time`;
        case "superseded":
          return `${e.peer} asked again; the older request was dropped`;
        default:
          return e.by === "you" ? `You declined ${e.peer}'s chat` : `${e.peer} declined the chat`;
      }
    case "security":
      return `The connection to ${e.peer} was tampered with (${e.detail}); the chat was closed`;
    case "connection-lost":
      return e.detail === "slow-reader"
        ? `${e.peer} stopped reading what your client owed it; the chat was closed`
        : `Connection to ${e.peer} lost`;
  }
}

/** A security warning, as a sentence that says what happened and what to do. */
export function warningWords(e: Extract<ClientEvent, { type: "security-warning" }>): string {
  switch (e.reason) {
    case "key-changed":
      return `${e.peer}'s key changed: pinned ${fp(e.expected)}, now ${fp(e.got)}. ` +
        `Someone may be impersonating ${e.peer}. Chats with ${e.peer} are refused until you ` +
        `confirm with them out of band and type /trust ${e.peer}`;
    case "unexpected-key":
      // Hole punching: what answered at the peer's address while punching was someone else.
      if (e.detail === "punch") {
        return `While punching a direct path to ${e.peer}, what answered at their address proved ` +
          `key ${fp(e.got)}, not ${e.peer}'s ${
            fp(e.expected)
          }; refused. The chat stays on the relay`;
      }
      return `The peer the directory pointed to is not ${e.peer}: it proved key ${fp(e.got)}, ` +
        `the directory lists ${fp(e.expected)}. Not connecting`;
    case "directory-mismatch":
      return `Someone claiming to be ${e.peer} asked to chat with key ${fp(e.got)}, but the ` +
        `directory lists ${fp(e.expected)}; refused`;
    case "unlisted":
      return `Someone claiming to be ${e.peer} asked to chat, but the directory does not list ${e.peer}; refused`;
    case "relay-mismatch":
      return `A relay offer named ${
        e.named ?? "someone"
      }, but the peer that came claims to be ${e.peer}; refused`;
    case "peer-protocol":
      return `${e.peer} sent a malformed message (${e.detail}); it was refused`;
    case "mail-rejected":
      return `A message left for you while you were offline${
        e.peer ? ` (signed as ${e.peer})` : ""
      } was refused: ${mailWords(e.detail)}`;
    case "prekey-invalid":
      return `The directory's prekey for ${e.peer} is not signed by ${e.peer}'s key; nothing was sent. The directory may be lying`;
    case "directory-inconsistent":
      return `The directory's answer for ${e.peer} is inconsistent (${
        problemWords(e.problem, e.named)
      }); not connecting and not trusting it. The directory may be lying`;
    // Groups (issue 24).
    case "not-a-member":
    case "not-admin":
    case "old-membership":
    case "membership-conflict":
      return groupWarningWords(e);
    // Key transparency (docs/protocol.md §15.6).
    case "unproven-binding":
    case "directory-rollback":
    case "directory-fork":
    case "own-name-rebound":
    case "directory-split-view":
      return logWarningWords(e);
  }
}

function mailWords(detail: string | undefined): string {
  switch (detail) {
    case "unknown-prekey":
      return "it was sealed to a prekey older than 30 days, which this client has deleted";
    case "tampered":
      return "it was altered after it was sealed";
    case "bad-signature":
      return "its signature does not hold";
    case "not-for-me":
      return "it is addressed to someone else";
    case "too-old":
      return "it claims to be older than 30 days";
    case "from-the-future":
      return "it claims to be sent more than a day from now";
    case "key-of-another":
      return "it is signed by a key you know under another name";
    case "unlisted":
      return "the directory binds nobody to the name it claims, so nothing proves who sent it";
    case "directory-mismatch":
      return "the directory binds that name to another key: someone else signed it";
    case "directory-inconsistent":
      return "the directory's answer for the name it claims does not add up";
    default:
      return "it is malformed";
  }
}

function problemWords(problem: string | undefined, named: string | undefined): string {
  switch (problem) {
    case "wrong-name":
      return `it answered with the entry of ${named}`;
    case "bad-name":
      return `it listed a name that breaks the name rules`;
    case "off-prefix":
      return `it listed ${named}, which does not match what you asked for`;
    case "duplicate":
      return `it listed ${named} twice`;
    case "bad-key":
      return "the key is not an Ed25519 key";
    case "fingerprint-mismatch":
      return "the fingerprint is not the key's";
    case "bad-address":
      return "an address is not an IP address";
    case "bad-port":
      return "the port is not usable";
    case "key-of-another":
      return `it lists the key you pinned for ${named}; if they truly use both names, /trust the new one after checking with them`;
    default:
      return "it does not follow the protocol";
  }
}

/** What to show when the directory connection dropped. */
export function serverLostWords(detail: string): string {
  return `Lost the directory (${detail}); open chats go on, reconnecting`;
}

/** Why a message left for someone offline will not arrive, in words. */
export function undeliveredWords(reason: UndeliveredReason): string {
  switch (reason) {
    case "expired":
      return "the directory dropped it unread after holding it as long as it holds messages";
    case "mailbox-full":
      return "their mailbox at the directory is full";
    case "refused":
      return "the directory does not hold messages for them";
    case "outbox-full":
      return "1,000 newer messages wait for receipts, so this client stopped waiting for this one";
  }
}

/** Where a plain line goes, as the client's state says: what the prompt words. */
export type PromptView = {
  /** Your name. */
  readonly self: string;
  /** The peer of the current chat, if one is open. */
  readonly chat?: string;
  /** With no chat open: the peer who left the last one, to whom lines go as offline mail. */
  readonly mail?: string;
  /** Groups (issue 24): the title of the group lines go to, when it is the current conversation. */
  readonly group?: string;
};

/** The prompt: who you are and where a plain line goes (`alice→bob (mail)> ` when by mail). */
export function promptWords(view: PromptView): string {
  // Groups (issue 24): `alice→#team> `.
  if (view.group !== undefined) return `${view.self}→#${view.group}> `;
  if (view.chat !== undefined) return `${view.self}→${view.chat}> `;
  return view.mail !== undefined ? `${view.self}→${view.mail} (mail)> ` : `${view.self}> `;
}

/** What `connect` asks for in a terminal without --name. */
export const NAME_QUESTION = "Your name: ";
/** What `connect` asks after a name was refused (the reason is shown just before). */
export const ANOTHER_NAME_QUESTION = "Choose another name: ";
/** Why `connect --json` (or piped) needs --name. */
export const NAME_NEEDED = "--name NAME is needed: without a terminal there is nobody to ask";

/** What `p2pchat id` says on stderr when it made a new identity. */
export function identityCreatedWords(path: string): string {
  return `Created a new identity in ${path}`;
}
