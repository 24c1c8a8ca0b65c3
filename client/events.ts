/**
 * Everything the client reports, as typed events. `--json` prints each as
 * one line; the terminal interface renders them for people. Documented in
 * docs/cli.md; fields are stable.
 *
 * @module
 */

/** How well a peer's key is known. */
export type KeyStatus = "new" | "pinned" | "verified";
/** Why a chat ended. */
export type CloseReason = "eom" | "declined" | "connection-lost" | "security";

/** A user as `/list` and `/whois` report it. */
export type ListedUser = {
  name: string;
  address: string;
  port: number;
  fingerprint: string;
  verified: boolean;
};

/** One event. */
export type ClientEvent =
  | { type: "ready"; name: string; listen: string; fingerprint: string; server: string }
  | { type: "users"; users: ListedUser[]; more: boolean }
  | { type: "chat-request"; peer: string; fingerprint: string; known: KeyStatus }
  | {
    type: "chat-open";
    peer: string;
    fingerprint: string;
    sas: string;
    firstContact: boolean;
    verified: boolean;
    path: "direct" | "relay";
  }
  | { type: "message"; peer: string; id: string; text: string; time: string }
  | { type: "sent"; peer: string; id: string; text: string; time: string }
  | { type: "delivered"; peer: string; id: string }
  | { type: "undelivered"; peer: string; ids: string[] }
  | { type: "chat-closed"; peer: string; reason: CloseReason; message: string }
  | {
    type: "security-warning";
    peer: string;
    reason: string;
    expected: string;
    got: string;
    message: string;
  }
  | {
    type: "chats";
    chats: {
      peer: string;
      state: "open" | "requested" | "incoming";
      current: boolean;
      verified: boolean;
    }[];
  }
  | { type: "fingerprint"; name: string; fingerprint: string; sas?: string; verified?: boolean }
  | { type: "verified"; peer: string; fingerprint: string }
  | { type: "trusted"; peer: string; fingerprint: string }
  | { type: "current"; peer: string | null }
  | { type: "help"; commands: { usage: string; description: string }[] }
  | { type: "info"; message: string }
  | { type: "error"; code: string; message: string }
  | { type: "server-lost"; message: string }
  | { type: "server-restored" };

/** Where events go: the JSON printer or the terminal interface. */
export interface EventSink {
  emit(event: ClientEvent): void;
}
