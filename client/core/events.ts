/**
 * Everything the client reports, as typed events carrying codes and data
 * (docs/cli.md). `--json` prints each as one line; the terminal interface
 * words them for people (`words.ts`). Fields are stable: new ones may be
 * added, none removed or renamed.
 *
 * @module
 */
import type { EntryProblem, KeyStatus, RefusalReason } from "../trust/mod.ts";
import type { ClientProblem } from "./errors.ts";
// Files (issue 23): their events and what they list, in file_events.ts.
import type { FileEventBody } from "./file_events.ts";
// Groups (issue 24): their events, in group_events.ts.
import type { GroupEventBody } from "./group_events.ts";

export type { KeyStatus };

/** How a chat's bytes travel. */
export type Path = "direct" | "relay";

/** Why a chat ended. */
export type CloseReason = "eom" | "declined" | "connection-lost" | "security";

/** Who ended a chat: you, the peer, or neither (the network or a fault). */
export type ClosedBy = "you" | "peer" | "network";

/** Why a request was declined, or what broke a chat (a channel or peer-protocol code). */
export type CloseDetail =
  | "user"
  | "busy"
  | "security"
  | "timeout"
  | "superseded"
  | "quit"
  | string;

/** Every `security-warning` reason. */
export type WarningReason =
  | RefusalReason
  | "directory-inconsistent"
  | "relay-mismatch"
  | "peer-protocol"
  /** An offline message that did not open or did not hold up (`detail` says why). */
  | "mail-rejected"
  /** The directory's prekey for a name is not signed by the name's key. */
  | "prekey-invalid"
  // Groups (issue 24): docs/cli.md, Groups.
  /** A message, link or change from a key that is not a member of the group's latest membership. */
  | "not-a-member"
  /** A membership change not signed by the group's admin (a member forging one). */
  | "not-admin"
  /** A membership older than the one held, never held before: replayed. */
  | "old-membership"
  /** A second, different membership of a version already held: the admin signed two. */
  | "membership-conflict"
  // Key transparency (docs/protocol.md §15.6).
  /** A key the directory showed is not proven to be its name's binding in a checkpoint it signed. */
  | "unproven-binding"
  /** The directory showed a log smaller than one it showed this client before. */
  | "directory-rollback"
  /** The directory showed a log that does not extend the one it showed this client before. */
  | "directory-fork"
  /** Your own name was bound to another key since you last saw it, or its history is hidden. */
  | "own-name-rebound"
  /** A peer saw a log of this directory that the one you saw cannot be reconciled with. */
  | "directory-split-view";

/** Why a message left for someone offline will not arrive. */
export type UndeliveredReason = "expired" | "mailbox-full" | "refused" | "outbox-full";

/** A user as `/list` and `/whois` report it. */
export type ListedUser = {
  name: string;
  address: string;
  port: number;
  fingerprint: string;
  verified: boolean;
  /** This is you. */
  self: boolean;
};

/** A notice for people (stderr in `--json` mode); `code` says which, the rest is data. */
export type Notice =
  | { code: "server-pinned"; server: string; fingerprint: string }
  | { code: "request-sent"; peer: string; path: Path }
  | { code: "request-expired"; peer: string }
  | { code: "request-cancelled"; peer: string }
  /** Dropped to make room for a request from a place with fewer pending. */
  | { code: "request-evicted"; peer: string }
  | { code: "relay-fallback"; peer: string }
  /** The directory answered Busy (over capacity): trying again in `waitMs`. */
  | { code: "directory-busy"; server: string; waitMs: number }
  /** The data directory (your identity and pins) may be written by others; `warning` says how to stop it. */
  | { code: "home-exposed"; home: string; warning: string }
  // Groups (issue 24): /join went to the group's admin, who lets you in.
  | { code: "group-join-sent"; group: string; title: string; admin: string }
  // Files (issue 23):
  /** `/send`: the file is being hashed before it is offered (a chat is opened first if need be). */
  | { code: "file-preparing"; peer: string; id: string; name: string; size: number }
  /** An offer of a file kept in part from before: it resumes without asking, `kept` bytes kept. */
  | { code: "file-resuming"; peer: string; id: string; name: string; kept: number; size: number }
  /** An offer waits: `peer` has MAX_ACTIVE_PER_PEER transfers with you under way. */
  | { code: "file-waiting"; peer: string; id: string; name: string };

/**
 * The longest `re` a reply carries, in characters (code points): the
 * command line as typed, trimmed, cut to this.
 */
export const MAX_RE_LENGTH = 80;

/** One event; a reply to a command carries `re`, the command it answers (docs/cli.md). */
export type ClientEvent = EventBody & { re?: string };

/** Every event, without the `re` of a reply. */
export type EventBody =
  | {
    type: "ready";
    name: string;
    /** The first address peers can use, `host:port`. */
    listen: string;
    /** Every `host:port` peers can use. */
    addresses: string[];
    fingerprint: string;
    server: string;
    /** Hole punching: where the directory sees this client's connection, `host:port`. */
    observed?: string;
    /** Hole punching: whether a NAT sits between (the observed address or port is not ours). */
    nat?: boolean;
  }
  | { type: "users"; users: ListedUser[]; more: boolean }
  | { type: "chat-request"; peer: string; fingerprint: string; known: KeyStatus; path: Path }
  | {
    type: "chat-open";
    peer: string;
    fingerprint: string;
    sas: string;
    firstContact: boolean;
    verified: boolean;
    path: Path;
  }
  /** `offline`: it waited at the directory; `time` is when it was sent. */
  | { type: "message"; peer: string; id: string; text: string; time: string; offline?: true }
  | { type: "sent"; peer: string; id: string; text: string; time: string }
  /** Sealed and left at the directory for a peer who is offline. */
  | { type: "queued"; peer: string; id: string; text: string; time: string }
  /** `offline`: the peer's signed receipt for a queued message came back. */
  | { type: "delivered"; peer: string; id: string; text: string; offline?: true }
  /** In a chat: not acknowledged when it ended. Offline: `reason` says why, `message` in words. */
  | {
    type: "undelivered";
    peer: string;
    ids: string[];
    texts: string[];
    reason?: UndeliveredReason;
    message?: string;
  }
  /** `/mail`: messages left for people offline, waiting for their receipt. */
  | {
    type: "mail";
    messages: { peer: string; id: string; text: string; time: string; expires: string }[];
  }
  | { type: "chat-closed"; peer: string; reason: CloseReason; by: ClosedBy; detail?: CloseDetail }
  /**
   * An open chat moved to another connection (relay to direct), nothing lost
   * on the way; `via`: how the direct connection was made (hole punching).
   */
  | { type: "path-changed"; peer: string; path: Path; via: Via }
  | {
    type: "security-warning";
    peer: string;
    reason: WarningReason;
    expected: string;
    got: string;
    /** For `directory-inconsistent`: what was wrong with the entry. */
    problem?: EntryProblem;
    /** For `directory-inconsistent` and `relay-mismatch`: the name the directory or offer gave. */
    named?: string;
    /** For `peer-protocol`: which rule the peer broke; for the log's warnings, which case. */
    detail?: string;
    /** Groups (issue 24): the group it was about, and its title when known. */
    group?: string;
    title?: string;
    /**
     * Key transparency: the log sizes kept and seen, when another key held
     * your name (ISO time), and where the evidence was saved.
     */
    log?: { kept?: number; seen?: number; time?: string; evidence?: string };
  }
  | {
    type: "chats";
    chats: {
      peer: string;
      state: "open" | "requested" | "incoming";
      current: boolean;
      verified: boolean;
      path?: Path;
      /** Hole punching: how a direct chat's connection was made. */
      via?: Via;
    }[];
  }
  | { type: "fingerprint"; name: string; fingerprint: string; sas?: string; verified?: boolean }
  | { type: "verified"; peer: string; fingerprint: string }
  | { type: "trusted"; peer: string; fingerprint: string }
  | { type: "current"; peer: string }
  | { type: "help"; commands: { usage: string; description: string }[] }
  | { type: "notice"; notice: Notice }
  /**
   * A failure: `code` says which. A client error carries its facts in
   * `about` (the interface words them into `message`); another layer's
   * error (the directory's, storage's) carries its own `message`.
   */
  | { type: "error"; code: string; message?: string; about?: ClientProblem }
  | { type: "server-lost"; detail: string }
  | { type: "server-restored" }
  // Hole punching (docs/protocol.md §11.2).
  /** Punching a direct path failed; the chat stays relayed. Said once per chat. */
  | { type: "punch-failed"; peer: string; attempts: number; detail: PunchFailure }
  // Groups (issue 24): docs/cli.md, Groups.
  | GroupEventBody
  // Files (issue 23):
  | FileEventBody;

// Hole punching (docs/protocol.md §11.2).
/** How a direct connection was made: dialed (`direct`) or punched through both NATs. */
export type Via = "direct" | "punched";

/** Why a punch failed, as its last attempt ended. */
export type PunchFailure =
  /** The peer did not answer over the relay in time. */
  | "no-reply"
  /** The connections never met: no answer within the dial's bound (a NAT that changes ports). */
  | "timeout"
  /** The connection was refused or reset, or the network said there is no way. */
  | "refused"
  /** What answered proved another key than the chat's. */
  | "unexpected-key"
  /** What answered did not complete the handshake. */
  | "handshake-failed"
  /** The connection opened, but the chat did not move onto it. */
  | "not-moved"
  /** The peer cannot punch now (no directory connection, or it failed with you lately). */
  | "peer-unable";

/** The one event that says something did not add up. */
export type SecurityWarning = Extract<ClientEvent, { type: "security-warning" }>;

/** Where events go: the JSON printer or the terminal interface. */
export interface EventSink {
  /** Reports one event. */
  emit(event: ClientEvent): void;
}

/** A sink that tags every event with `re`: the replies to one command. */
export function replySink(sink: EventSink, re: string): EventSink {
  return { emit: (event) => sink.emit({ ...event, re }) };
}
