/**
 * The chat book's vocabulary (`chat_book.ts`): what comes in (commands and
 * what the shell learnt), what goes out (actions), what it keeps with each
 * request, and the events it shows, built from data only.
 *
 * @module
 */
import type { Fingerprint } from "../../crypto/mod.ts";
import type { Name } from "../../protocol/mod.ts";
import type { ClientEvent, ClientProblem, ClosedBy, KeyStatus, Path } from "../core/mod.ts";
import type { DeclineReason, PeerMessage } from "./peer_messages.ts";

/** Incoming requests waiting for /accept or /decline at once; more are declined as busy. */
export const MAX_PENDING_REQUESTS = 16;
/** Incoming requests waiting at once from one source (an address, or an IPv6 /64). */
export const MAX_PENDING_PER_SOURCE = 4;

/** What the book keeps with a request; `link` is the shell's connection, opaque here. */
export type RequestInfo<L> = {
  /** The directory's spelling of the name, once looked up: what the chat is opened under. */
  readonly name?: Name;
  /** The peer's key: listed (outgoing, before the handshake) or proven. */
  readonly fingerprint: Fingerprint | "";
  readonly known: KeyStatus;
  readonly path: Path;
  /** The SAS of the channel, once there is one. */
  readonly sas?: string;
  /** The id both ends give the chat (to move it later), if the peer sent one. */
  readonly chatId?: string;
  /** The relay token, when the request came through the relay. */
  readonly relayToken?: string;
  /** Incoming: the source it counts against (MAX_PENDING_PER_SOURCE). */
  readonly source?: string;
  /** The shell's connection to the peer, once there is one. */
  readonly link?: L;
};

/** What the book reads of the rest of the client: pins and the paths chats run on now. */
export type BookReads = {
  /** Whether `name`'s pinned key is verified. */
  verified(name: Name): boolean;
  /** How open chat `chat` travels now. */
  pathOf(chat: number): Path | undefined;
};

/** The book's settings. */
export type BookOptions = {
  /** Your own name. */
  self: Name;
  /** Accept every request without asking. */
  autoAccept: boolean;
  /** Whether lines for a peer who left can go as offline mail. */
  mail: boolean;
  /** What the `/chats` listing reads. */
  reads: BookReads;
};

/** What comes in: a command, or what the shell learnt. */
export type BookEvent<L> =
  /** A plain line. */
  | { readonly type: "say"; readonly text: string }
  | { readonly type: "msg"; readonly name: Name; readonly text: string }
  | { readonly type: "chat"; readonly name: Name; readonly now: number }
  | { readonly type: "accept"; readonly name: Name }
  | { readonly type: "decline"; readonly name: Name }
  | { readonly type: "eom" }
  | { readonly type: "chats" }
  | { readonly type: "quit" }
  /** A peer passed admission and asks to chat. */
  | {
    readonly type: "incoming";
    readonly name: Name;
    readonly info: RequestInfo<L>;
    readonly now: number;
  }
  /** The initiator of incoming request `request` spoke or hung up before our answer. */
  | { readonly type: "watch-ended"; readonly request: number }
  /** Outgoing request `request` reached its peer (the handshake is done, nothing said yet). */
  | { readonly type: "reached"; readonly request: number; readonly info: RequestInfo<L> }
  /** Outgoing request `request` was answered, or not in time. */
  | {
    readonly type: "answered";
    readonly request: number;
    readonly answer: "accept" | DeclineReason;
  }
  /** Outgoing request `request` ended any other way (unreachable, refused, an error). */
  | { readonly type: "dial-failed"; readonly request: number }
  /** Open chat `chat` began to close (either side ended it, or its connection did). */
  | { readonly type: "chat-closing"; readonly chat: number }
  /** Open chat `chat` is over; `by` ended it. */
  | { readonly type: "chat-over"; readonly chat: number; readonly by: ClosedBy }
  /** The expiry timer fired. */
  | { readonly type: "tick"; readonly now: number }
  /** Names seen online (worth completing). */
  | { readonly type: "seen"; readonly names: readonly string[] };

/** What the shell is to do. */
export type BookAction<L> =
  | { readonly type: "show"; readonly event: ClientEvent }
  /** The command fails with this problem. */
  | { readonly type: "fail"; readonly problem: ClientProblem }
  /** Say `message` on `link`; with `close`, close it after. */
  | {
    readonly type: "say";
    readonly link: L;
    readonly message: PeerMessage;
    readonly close?: boolean;
  }
  | { readonly type: "abort"; readonly link: L }
  /** Look `name` up and reach them for outgoing request `request`. */
  | { readonly type: "dial"; readonly request: number; readonly name: Name }
  /** Wait for the answer to outgoing request `request` on `link`. */
  | { readonly type: "await-answer"; readonly request: number; readonly link: L }
  /** Watch incoming request `request`'s connection until the answer (its first read). */
  | { readonly type: "watch"; readonly request: number; readonly link: L }
  /** Open chat `chat` with `name` over `info.link`. */
  | {
    readonly type: "open";
    readonly chat: number;
    readonly name: Name;
    readonly info: RequestInfo<L>;
  }
  | { readonly type: "send"; readonly chat: number; readonly text: string }
  /** Seal `text` for `to`; with `unlessOnline`, refuse when `to` is online (/msg). */
  | {
    readonly type: "mail";
    readonly to: Name;
    readonly text: string;
    readonly unlessOnline: boolean;
  }
  | { readonly type: "end"; readonly chat: number }
  /** (Re-)arm the one expiry timer for `at` (ms), or cancel it. */
  | { readonly type: "timer"; readonly at: number | undefined };

/** Where a plain line goes, as the prompt shows it: the current chat, or the peer mailed. */
export type BookView = { readonly self: Name; readonly chat?: Name; readonly mail?: Name };

/** `chat-open` for a chat with `name` over a connection described by `info`. */
export function chatOpenEvent<L>(name: Name, info: RequestInfo<L>): ClientEvent {
  return {
    type: "chat-open",
    peer: name,
    fingerprint: info.fingerprint,
    sas: info.sas ?? "",
    firstContact: info.known === "new",
    verified: info.known === "verified",
    path: info.path,
  };
}

/** `chat-closed` for a request declined by `by`, and why. */
export function declinedEvent(peer: Name, by: ClosedBy, detail: DeclineReason): ClientEvent {
  return { type: "chat-closed", peer, reason: "declined", by, detail };
}

/** A notice about a request from `peer`. */
export function requestNotice(
  code: "request-cancelled" | "request-evicted" | "request-expired",
  peer: string,
): ClientEvent {
  return { type: "notice", notice: { code, peer } };
}

/** The failure of a command, as an action. */
export function fail<L>(problem: ClientProblem): BookAction<L> {
  return { type: "fail", problem };
}
