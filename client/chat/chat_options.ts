/**
 * What a chat is given when it starts: who its peer is, and what it carries
 * besides its channel (where its events go, its clock, the first read under
 * way, the id a move names, and where messages not its own go).
 *
 * @module
 */
import type { Fingerprint, SecureChannel } from "../../crypto/mod.ts";
import type { Name, NameKey } from "../../protocol/mod.ts";
import type { EventSink, Path } from "../core/mod.ts";
import type { FileMessage } from "../files/mod.ts";
import type { ChatState } from "./chat_state.ts";
import type { PeerMessage } from "./peer_messages.ts";

/** What a chat knows about its peer. */
export type ChatPeer = {
  readonly name: Name;
  readonly key: NameKey;
  readonly fingerprint: Fingerprint;
  readonly sas: string;
};

/** What a chat carries besides its channel. */
export type ChatOptions = {
  /** How the chat's bytes travel at first. */
  path: Path;
  /** Where the chat's events go. */
  sink: EventSink;
  /**
   * Called at each change of the chat's state; once over, before `chat-closed`
   * is reported, so that the report sees the new state.
   */
  onState?: (state: ChatState) => void;
  /** The clock messages are stamped with. */
  clock?: () => number;
  /** A receive already under way (the one that watched the request while it waited). */
  firstRead?: Promise<Uint8Array | null>;
  /** The id both ends share, which a move to another connection names. */
  id?: string;
  /** The relay token, when the chat runs through the relay. */
  relayToken?: string;
  /** Hole punching (§11.2): takes a message not the chat's own (the punch's); false refuses it. */
  aside?: (message: PeerMessage, from: SecureChannel) => boolean;
  /** Files (issue 23): where a file's messages go; the read waits for it (none: a fault). */
  files?: (message: FileMessage, from: SecureChannel) => Promise<void> | void;
};
