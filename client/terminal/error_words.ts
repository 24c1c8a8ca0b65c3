/**
 * The sentences of the client's errors: what each client problem's facts
 * say (the sentence `--json` carries in `message`), and an error as the
 * terminal prints it, after `p2pchat:`.
 *
 * @module
 */
import { type Fingerprint, formatFingerprint } from "../../crypto/mod.ts";
import type { ClientEvent, ClientProblem } from "../core/mod.ts";
// Groups (issue 24): their sentences live in group_words.ts.
import { groupProblemWords } from "./group_words.ts";
// Files (issue 23): sizes in words.
import { sizeWords } from "./file_words.ts";

const fp = (f: string): string => formatFingerprint(f as Fingerprint);

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
    // Groups (issue 24).
    case "bad-title":
    case "title-taken":
    case "already-member":
    case "not-in-group":
    case "admin-leave":
    case "not-joined":
    case "no-group-chat":
    case "group-eom":
    case "no-groups":
    case "group-too-long":
    case "unknown-group":
    case "ambiguous-group":
    case "not-admin":
    case "group-full":
    case "too-many-groups":
      return groupProblemWords(p);
    // Files (issue 23):
    case "no-transfer":
      return `No transfer ${p.id} that ${p.command} applies to; /files lists them`;
    case "ambiguous-transfer":
      return `${p.count} transfers start with ${p.id}; type more of the id (/files lists them)`;
    case "files-off":
      return "Sending files is off in this client";
    case "file-missing":
      return `No file ${p.path}`;
    case "not-a-file":
      return `${p.path} is not a regular file; send files one at a time (archive a folder first)`;
    case "file-unreadable":
      return `Cannot read ${p.path}: ${p.cause}`;
    case "file-too-big":
      return `${p.path} is ${sizeWords(p.size)}; at most ${sizeWords(p.max)} can be sent`;
    // Key transparency (docs/protocol.md §15.6).
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
