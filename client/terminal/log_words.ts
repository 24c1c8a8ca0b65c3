/**
 * Key transparency (docs/protocol.md §15.6): the log's warnings in words,
 * and what to do about each.
 *
 * @module
 */
import type { ClientEvent } from "../core/mod.ts";
import { type Fingerprint, formatFingerprint } from "../../crypto/mod.ts";

const fp = (f: string): string => formatFingerprint(f as Fingerprint);

const AUDIT = "p2pchat audit --server HOST checks the whole log";
const UNTRUSTED = "Keys it shows are not trusted for the rest of this session";

function evidenceWords(log: { evidence?: string } | undefined): string {
  const at = log?.evidence;
  if (at === undefined || at.startsWith("not saved")) return `(evidence ${at ?? "not saved"})`;
  return `Both signed checkpoints are saved in ${at}: hand the file to the directory's operator, or ` +
    "to anyone who can check it (p2pchat audit --evidence FILE)";
}

/** A warning about the directory's key-transparency log, in words. */
export function logWarningWords(e: Extract<ClientEvent, { type: "security-warning" }>): string {
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
