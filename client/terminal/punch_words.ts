/**
 * Hole punching's sentences (docs/protocol.md §11.2): a chat that moved to
 * another path, a punch that failed and why, and how `/chats` lists a
 * chat's connection.
 *
 * @module
 */
import type { ClientEvent, PunchFailure } from "../core/mod.ts";

/** A chat that moved: to which path, and how a direct connection was made. */
export function pathChangedWords(e: Extract<ClientEvent, { type: "path-changed" }>): string {
  if (e.path === "relay") return `chat with ${e.peer} is now relayed`;
  return e.via === "punched"
    ? `chat with ${e.peer} is now direct (punched through both NATs)`
    : `chat with ${e.peer} is now direct`;
}

/** Why punching a direct path failed, once per chat: the chat stays relayed. */
export function punchFailedWords(e: Extract<ClientEvent, { type: "punch-failed" }>): string {
  const tries = e.attempts === 1 ? "1 attempt" : `${e.attempts} attempts`;
  return `Could not punch a direct path to ${e.peer} in ${tries} (${
    punchFailureWords(e.detail)
  }); the chat stays on the relay`;
}

function punchFailureWords(detail: PunchFailure): string {
  switch (detail) {
    case "no-reply":
      return "they did not answer over the relay in time";
    case "timeout":
      return "the connections never met; a NAT or firewall between you drops them or changes ports";
    case "refused":
      return "the connection was refused";
    case "unexpected-key":
      return "what answered proved another key";
    case "handshake-failed":
      return "what answered did not complete the handshake";
    case "not-moved":
      return "the connection opened but the chat did not move onto it";
    case "peer-unable":
      return "they cannot punch now";
  }
}

/** How a chat's connection is listed in `/chats`: relayed, punched, or nothing for direct. */
export function chatPathWords(chat: { path?: string; via?: string }): string {
  if (chat.path === "relay") return ", relayed";
  return chat.via === "punched" ? ", punched" : "";
}
