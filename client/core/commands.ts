/**
 * What the user types, parsed (pure). Lines starting with `/` are commands,
 * `EOM` alone ends the current chat, `//text` sends `/text`, anything else
 * goes to the current chat.
 *
 * @module
 */

import { CommandError } from "./errors.ts";
import { MAX_RE_LENGTH } from "./events.ts";

/** One parsed line of input. */
export type ChatCommand =
  | { kind: "list"; prefix?: string }
  | { kind: "whois"; name: string }
  | { kind: "chat"; name: string }
  | { kind: "accept"; name: string }
  | { kind: "decline"; name: string }
  | { kind: "msg"; name: string; text: string }
  | { kind: "chats" }
  | { kind: "mail" }
  | { kind: "fp"; name?: string }
  | { kind: "verify"; name: string }
  | { kind: "trust"; name: string }
  | { kind: "help" }
  | { kind: "quit" }
  | { kind: "eom" }
  | { kind: "say"; text: string }
  | { kind: "empty" }
  // Groups (issue 24): `ref` is `#TITLE` or `#` and an id prefix, as typed.
  | { kind: "group-new"; title: string }
  | { kind: "group-invite"; ref: string; name: string }
  | { kind: "group-join"; ref: string }
  | { kind: "group-decline"; ref: string }
  | { kind: "group-chat"; ref: string }
  | { kind: "group-msg"; ref: string; text: string }
  | { kind: "group-members"; ref: string }
  | { kind: "groups" }
  | { kind: "group-remove"; ref: string; name: string }
  | { kind: "group-leave"; ref: string }
  // Files (issue 23):
  | { kind: "send"; name: string; path: string }
  | { kind: "accept-file"; id: string }
  | { kind: "decline-file"; id: string }
  | { kind: "files" }
  | { kind: "cancel"; id: string };

/** Every command with its arguments and what it does, for /help and completion. */
export const COMMAND_HELP: readonly [string, string][] = [
  ["/list [PREFIX]", "online users (whose names start with PREFIX)"],
  ["/whois NAME", "one user's address and fingerprint"],
  ["/chat NAME", "open a chat with NAME, or switch to it"],
  ["/accept NAME", "accept NAME's chat request"],
  ["/decline NAME", "decline NAME's chat request"],
  ["/msg NAME TEXT", "send TEXT to NAME's open chat, or seal it for NAME while offline"],
  ["/chats", "open chats and requests"],
  ["/mail", "messages left for people offline, waiting for their receipt"],
  ["/fp [NAME]", "your fingerprint, or NAME's with the chat's SAS"],
  ["/verify NAME", "mark NAME verified once you compared the SAS out of band"],
  ["/trust NAME", "accept NAME's changed key (after a security warning)"],
  ["/help", "this list"],
  ["/quit", "end every chat and leave (so do Ctrl-C and Ctrl-D)"],
  ["EOM", "alone on a line: end the current chat for both sides"],
  ["//text", "send a line that starts with / (it goes as /text)"],
  // Groups (issue 24).
  ["/group new TITLE", "create a group #TITLE with you as its admin"],
  ["/invite #TITLE NAME", "invite NAME to your group (admin)"],
  ["/join #TITLE", "join the group you were invited to"],
  ["/decline #TITLE", "decline an invitation to a group"],
  ["/chat #TITLE", "make the group the current conversation: lines go to every member"],
  ["/msg #TITLE TEXT", "send TEXT to every member of the group"],
  ["/members #TITLE", "the members, with fingerprints and verified marks"],
  ["/groups", "your groups and invitations"],
  ["/remove #TITLE NAME", "remove NAME from your group (admin)"],
  ["/leave #TITLE", "leave the group"],
  // Files (issue 23):
  ["/send NAME PATH", "offer the file at PATH to NAME (opening a chat if none is open)"],
  ["/accept-file ID", "accept a file offered to you (ID as shown; a unique prefix is enough)"],
  ["/decline-file ID", "decline a file offered to you"],
  ["/files", "transfers in progress, waiting and finished in this session"],
  ["/cancel ID", "stop a transfer, sending or receiving"],
];

/** The command words, for tab completion. */
export const COMMAND_WORDS: readonly string[] = [
  ...new Set(COMMAND_HELP.map(([usage]) => usage.split(" ")[0]).filter((w) => /^\/[a-z]/.test(w))),
];

export { CommandError };

/** How much of an unknown command word an error repeats. */
const MAX_WORD_SHOWN = 20;

function usageError(usage: string): CommandError {
  return new CommandError({ code: "bad-command", problem: "usage", usage });
}

/**
 * What a reply to `line` carries in `re`: the line as typed, without the
 * spaces and tabs around it, cut to MAX_RE_LENGTH characters.
 */
export function replyTag(line: string): string {
  const trimmed = line.replace(/\r$/, "").replace(/^[ \t]+|[ \t]+$/g, "");
  const chars = [...trimmed];
  return chars.length > MAX_RE_LENGTH ? chars.slice(0, MAX_RE_LENGTH).join("") : trimmed;
}

/** Spaces and tabs: what separates a command's words. Other whitespace is text. */
const BLANK = /^[ \t]*$/;

/**
 * Parses one line of input. A message is the user's text, sent as typed:
 * only spaces and tabs separate a command's words, and every other
 * character (U+FEFF, U+2028, spacing of any kind) belongs to the text.
 */
export function parseCommand(line: string): ChatCommand {
  const trimmed = line.replace(/\r$/, "");
  if (BLANK.test(trimmed)) return { kind: "empty" };
  if (trimmed.replace(/^[ \t]+|[ \t]+$/g, "") === "EOM") return { kind: "eom" };
  if (trimmed.startsWith("//")) return { kind: "say", text: trimmed.slice(1) };
  if (!trimmed.startsWith("/")) return { kind: "say", text: trimmed };
  const [word, ...rest] = trimmed.trim().split(/\s+/);
  const needName = (usage: string): string => {
    if (rest.length < 1 || rest[0] === "") throw usageError(usage);
    return rest[0];
  };
  switch (word) {
    case "/list":
      return rest[0] ? { kind: "list", prefix: rest[0] } : { kind: "list" };
    case "/whois":
      return { kind: "whois", name: needName("/whois NAME") };
    case "/chat": {
      const name = needName("/chat NAME");
      // Groups (issue 24): `/chat #TITLE`.
      return name.startsWith("#") ? { kind: "group-chat", ref: name } : { kind: "chat", name };
    }
    case "/accept":
      return { kind: "accept", name: needName("/accept NAME") };
    case "/decline": {
      const name = needName("/decline NAME");
      // Groups (issue 24): `/decline #TITLE`.
      return name.startsWith("#")
        ? { kind: "group-decline", ref: name }
        : { kind: "decline", name };
    }
    case "/msg": {
      // The text is everything after the name and the spaces that follow it, as typed.
      const match = /^[ \t]*\/msg[ \t]+([^ \t]+)[ \t]+([^]+)$/.exec(trimmed);
      if (!match) throw usageError("/msg NAME TEXT");
      // Groups (issue 24): `/msg #TITLE TEXT`.
      if (match[1].startsWith("#")) return { kind: "group-msg", ref: match[1], text: match[2] };
      return { kind: "msg", name: match[1], text: match[2] };
    }
    case "/chats":
      return { kind: "chats" };
    case "/mail":
      return { kind: "mail" };
    case "/fp":
      return rest[0] ? { kind: "fp", name: rest[0] } : { kind: "fp" };
    case "/verify":
      return { kind: "verify", name: needName("/verify NAME") };
    case "/trust":
      return { kind: "trust", name: needName("/trust NAME") };
    case "/help":
      return { kind: "help" };
    case "/quit":
      return { kind: "quit" };
    // Groups (issue 24).
    case "/group":
      if (rest[0] !== "new" || !rest[1]) throw usageError("/group new TITLE");
      return { kind: "group-new", title: rest[1] };
    case "/invite":
      if (!rest[0] || !rest[1]) throw usageError("/invite #TITLE NAME");
      return { kind: "group-invite", ref: rest[0], name: rest[1] };
    case "/join":
      return { kind: "group-join", ref: needName("/join #TITLE") };
    case "/members":
      return { kind: "group-members", ref: needName("/members #TITLE") };
    case "/groups":
      return { kind: "groups" };
    case "/remove":
      if (!rest[0] || !rest[1]) throw usageError("/remove #TITLE NAME");
      return { kind: "group-remove", ref: rest[0], name: rest[1] };
    case "/leave":
      return { kind: "group-leave", ref: needName("/leave #TITLE") };
    // Files (issue 23):
    case "/send": {
      // The path is everything after the name and the spaces that follow it: paths hold spaces.
      const match = /^[ \t]*\/send[ \t]+([^ \t]+)[ \t]+([^]+)$/.exec(trimmed);
      if (!match) throw usageError("/send NAME PATH");
      return { kind: "send", name: match[1], path: match[2] };
    }
    case "/accept-file":
      return { kind: "accept-file", id: needName("/accept-file ID") };
    case "/decline-file":
      return { kind: "decline-file", id: needName("/decline-file ID") };
    case "/files":
      return { kind: "files" };
    case "/cancel":
      return { kind: "cancel", id: needName("/cancel ID") };
    default:
      throw new CommandError({
        code: "bad-command",
        problem: "unknown-command",
        word: [...word].slice(0, MAX_WORD_SHOWN).join(""),
      });
  }
}

/**
 * Tab completion: the first word completes to a command, later words to
 * `names`. Returns readline's pair: the candidates and the text they replace.
 * A single candidate comes with a space after it, ready for what follows.
 */
export function complete(line: string, names: string[]): [string[], string] {
  const words = line.split(" ");
  const last = words.at(-1) ?? "";
  const pool = words.length === 1 && line.startsWith("/") ? [...COMMAND_WORDS] : names;
  const hits = pool.filter((w) => w.toLowerCase().startsWith(last.toLowerCase()));
  return [hits.length === 1 ? [`${hits[0]} `] : hits, last];
}
