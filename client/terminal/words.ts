/**
 * Every sentence a person reads from the chat client, made from an event's
 * codes and data. The terminal interface renders these (after making network
 * text safe); `--json` adds them only as the documented `message` fields and
 * as the notices it writes to stderr.
 *
 * @module
 */
import { type Fingerprint, formatFingerprint } from "../../crypto/mod.ts";
import type { ClientEvent, ClientProblem, Notice, UndeliveredReason } from "../core/mod.ts";

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
    case "home-exposed":
      // storage/ words the warning (serve shows the same one): it names the directory and the fix.
      return `Warning: ${notice.warning}`;
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
    // Key transparency (docs/protocol.md §13.6).
    case "unproven-binding":
    case "directory-rollback":
    case "directory-fork":
    case "own-name-rebound":
    case "directory-split-view":
      return logWarningWords(e);
  }
}

// Key transparency (docs/protocol.md §13.6): the log's warnings, and what to do about each.

const AUDIT = "p2pchat audit --server HOST checks the whole log";
const UNTRUSTED = "Keys it shows are not trusted for the rest of this session";

function evidenceWords(log: { evidence?: string } | undefined): string {
  const at = log?.evidence;
  if (at === undefined || at.startsWith("not saved")) return `(evidence ${at ?? "not saved"})`;
  return `Both signed checkpoints are saved in ${at}: hand the file to the directory's operator, or ` +
    "to anyone who can check it (p2pchat audit --evidence FILE)";
}

/** A warning about the directory's key-transparency log, in words. */
function logWarningWords(e: Extract<ClientEvent, { type: "security-warning" }>): string {
  const sizes = `${e.log?.seen ?? "?"} entries now, ${e.log?.kept ?? "?"} before`;
  switch (e.reason) {
    case "unproven-binding":
      return `The directory could not prove that the key it shows for ${e.peer || "this name"} is ${
        e.peer ? `${e.peer}'s` : "its"
      } in its signed log (${unprovenWords(e.detail)}); refused. A directory ` +
        `that lies about keys does this; if it goes on, tell its operator (${AUDIT})`;
    case "directory-rollback":
      return `The directory now shows a smaller log than it showed you before (${sizes}): ` +
        `it was rolled back to an older copy, or it is lying. ${UNTRUSTED}. ${
          evidenceWords(e.log)
        }. Once its operator has explained it, p2pchat audit --server HOST --forget trusts ` +
        "its log again";
    case "directory-fork":
      return `The directory shows a log that does not extend the one it showed you before (${sizes}): ` +
        `it keeps more than one history. ${UNTRUSTED}. ${evidenceWords(e.log)}`;
    case "directory-split-view":
      return `${e.peer}'s client saw a log of this directory that cannot be reconciled with the ` +
        `one you saw: the directory shows different people different histories. ${UNTRUSTED}. ${
          evidenceWords(e.log)
        }`;
    case "own-name-rebound":
      return ownNameWords(e);
    default:
      return `The directory's log does not hold up (${e.reason})`;
  }
}

function unprovenWords(detail: string | undefined): string {
  switch (detail) {
    case "no-proof":
      return "its answer carries no proof";
    case "bad-checkpoint":
      return "its checkpoint is not signed by its key";
    case "bad-proof":
      return "the proof does not add up to the root it signed";
    case "not-bound":
      return "its log binds the name to nobody";
    case "lapsed":
      return "its log says the binding lapsed";
    case "other-key":
      return "its log binds the name to another key";
    case "unchecked":
      return "the connection ended before it proved its log extends the one you kept";
    default:
      return "the proof does not hold";
  }
}

function ownNameWords(e: Extract<ClientEvent, { type: "security-warning" }>): string {
  const who = e.got ? `key ${fp(e.got)}` : "another key";
  const when = e.log?.time ? ` (bound ${e.log.time})` : "";
  const tell = `Tell the people you talk to, and have them compare your fingerprint (/fp); ` +
    `p2pchat audit --server HOST --name ${e.peer} lists the history`;
  switch (e.detail) {
    case "after-lapse":
      return `While you were away, your name ${e.peer} lapsed and ${who} held it${when}: anyone ` +
        `who looked you up then was shown that key, not yours. ${tell}`;
    case "while-bound":
      return `The directory bound your name ${e.peer} to ${who}${when} while it was yours: it ` +
        `lied about you to whoever looked you up then. ${tell}, and report it to its operator`;
    case "bound-to-other":
      return `The directory's log binds your name ${e.peer} to ${who} right now, though it ` +
        `registered you: others are shown a key that is not yours. ${tell}`;
    case "hidden-history":
      return `The directory would not prove the history of your name ${e.peer} since you last ` +
        `connected: it may be hiding that it gave your name to someone else. ${tell}`;
    default:
      return `The directory's log shows fewer bindings of your name ${e.peer} than it showed ` +
        `you before: its log was rewritten. ${tell}`;
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

/** An `error` event. */
export type ErrorEvent = Extract<ClientEvent, { type: "error" }>;

/** What a client error's facts say, as the sentence `--json` carries in `message`. */
export function clientProblemWords(p: ClientProblem): string {
  switch (p.problem) {
    case "usage":
      return `Usage: ${p.usage}`;
    case "unknown-command":
      return `Unknown command ${p.word}; type /help for the list`;
    case "no-chat":
      return "No chat is open; start one with /chat NAME or accept one with /accept NAME";
    case "no-request":
      return `No chat request from ${p.peer}; /chats lists them`;
    case "already-asking":
      return `Already asking ${p.peer} to chat; wait for their answer`;
    case "peer-online":
      return `${p.peer} is online: open a chat with /chat ${p.peer}`;
    case "mail-off":
      return "Offline messages are off in this client";
    case "no-key":
      return `No key known for ${p.peer}: open a chat with /chat ${p.peer} first`;
    case "no-pin":
      return `No key pinned for ${p.peer}: open a chat and compare the SAS first`;
    case "no-changed-key":
      return `No changed key to trust for ${p.peer}`;
    case "self":
      return `${p.name} is you: ${p.command} needs someone else's name`;
    case "chat-ended":
      return `The chat with ${p.peer} has ended`;
    case "text-too-long":
      return `The message is ${p.length} characters; at most ${p.max} fit in one`;
    case "mail-too-long":
      return `A message for someone offline holds at most ${p.max} bytes; send it in parts`;
    case "sealed-too-long":
      return "The message is too long to hold for someone offline";
    case "peer-slow":
      return `${p.peer} is not reading what you send; wait before sending more`;
    case "too-many-unacked":
      return `${p.peer} has not acknowledged ${p.max} messages; wait before sending more`;
    case "no-address":
      return "The directory lists no address for the peer";
    case "no-answer":
      return `No answer on port ${p.port} within ${p.ms} ms`;
    case "cannot-reach":
      return `Cannot reach the peer on port ${p.port} (${p.causes.join("; ")})`;
    case "no-reply":
      return `No ${awaitedWords(p.awaited)} within ${Math.round(p.ms / 1000)} s`;
    case "closed-early":
      return `The peer closed the connection before its ${awaitedWords(p.awaited)}`;
    case "lost-race":
      return "Another path to the peer won";
    case "server-key-changed":
      return `The directory at ${p.server} proved key ${fp(p.got)}, but ${
        fp(p.pinned)
      } was pinned on first contact (${p.file}). If its operator changed the key, delete the "${p.server}" entry from that file; otherwise someone may be intercepting your connection. p2pchat no longer tries ${p.server}`;
    case "server-key-not-given":
      return `The directory at ${p.server} proved key ${
        fp(p.got)
      }, not the --server-key you gave (${fp(p.given)}); check the fingerprint with its operator`;
    case "server-unreachable":
      return `${p.cause}. Start one with p2pchat serve, or pass --server HOST[:PORT]`;
    case "listen-failed":
      return `Cannot listen for peers on ${p.address}: ${p.cause}; choose another --listen`;
    case "name-replaced":
      return "Another p2pchat with your identity registered your name; this one stopped using the directory";
    case "name-lost":
      return `The directory lost its records and could not give your name back (${p.why}); this client stopped using it. Open chats go on; reconnect with another name`;
    case "mail-failed":
      return `A message left for you could not be handled (${p.cause}); it comes again next time`;
    case "peer-protocol":
      return `The peer sent a malformed message (${p.rule})`;
    // Key transparency (docs/protocol.md §13.6).
    case "unproven-binding":
      return `Not done: the directory's log does not prove ${p.peer}'s key (see the warning)`;
  }
}

function awaitedWords(awaited: "answer" | "resume-answer"): string {
  return awaited === "answer" ? "answer" : "answer to resume";
}

/** An error's message for `--json`: the facts worded, or the message its layer gave. */
export function errorText(e: ErrorEvent): string {
  return e.about ? clientProblemWords(e.about) : e.message ?? e.code;
}

/** An error as the terminal prints it: every error the client prints starts with `p2pchat:`. */
export function errorWords(e: ErrorEvent): string {
  return `p2pchat: ${errorText(e)}`;
}

/** Where a plain line goes, as the client's state says: what the prompt words. */
export type PromptView = {
  /** Your name. */
  readonly self: string;
  /** The peer of the current chat, if one is open. */
  readonly chat?: string;
  /** With no chat open: the peer who left the last one, to whom lines go as offline mail. */
  readonly mail?: string;
};

/** The prompt: who you are and where a plain line goes (`alice→bob (mail)> ` when by mail). */
export function promptWords(view: PromptView): string {
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
