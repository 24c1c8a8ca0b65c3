/**
 * One open chat with a peer: messages with ids, acknowledgements, and an
 * end that tells an EOM from a cut connection.
 *
 * @module
 */
import { RecordError, type SecureChannel } from "../crypto/mod.ts";
import { ChatError } from "./errors.ts";
import type { CloseReason, EventSink } from "./events.ts";
import {
  decodePeerMessage,
  encodePeerMessage,
  MAX_TEXT_LENGTH,
  type PeerMessage,
} from "./peer_messages.ts";

/** Messages a chat may have unacknowledged before it refuses more. */
export const MAX_UNACKED = 1000;

export { ChatError };

/** What a chat knows about its peer. */
export type ChatPeer = {
  name: string;
  fingerprint: string;
  sas: string;
  path: "direct" | "relay";
};

/** A live chat. */
export class Chat {
  readonly peer: ChatPeer;
  /** Resolves when the chat has ended, with why. */
  readonly ended: Promise<CloseReason>;
  readonly #channel: SecureChannel;
  readonly #sink: EventSink;
  readonly #unacked = new Map<string, string>();
  readonly #clock: () => number;
  readonly #onClose: () => void;
  #nextId = 1;
  #localEnd: CloseReason | undefined;

  constructor(
    peer: ChatPeer,
    channel: SecureChannel,
    options: {
      sink: EventSink;
      /** Runs as the chat ends, before `chat-closed` is reported, so the report sees the new state. */
      onClose: () => void;
      clock?: () => number;
    },
  ) {
    this.peer = peer;
    this.#channel = channel;
    this.#sink = options.sink;
    this.#onClose = options.onClose;
    this.#clock = options.clock ?? Date.now;
    this.ended = this.#readLoop();
  }

  /** Sends `text`; returns its id. Delivery is reported by a `delivered` event. */
  async send(text: string): Promise<string> {
    if (text.length > MAX_TEXT_LENGTH) {
      throw new ChatError(
        "too-long",
        `Message is ${text.length} characters; at most ${MAX_TEXT_LENGTH} fit in one`,
      );
    }
    if (this.#unacked.size >= MAX_UNACKED) {
      throw new ChatError(
        "too-many-unacked",
        `${this.peer.name} has not acknowledged ${MAX_UNACKED} messages; wait before sending more`,
      );
    }
    const id = `m${this.#nextId++}`;
    const time = this.#clock();
    this.#unacked.set(id, text);
    this.#sink.emit({
      type: "sent",
      peer: this.peer.name,
      id,
      text,
      time: new Date(time).toISOString(),
    });
    await this.#write({ type: "msg", id, text, time });
    return id;
  }

  /** Ends the chat for both sides (EOM): an authenticated end, never mistaken for a cut. */
  async end(reason: CloseReason = "eom"): Promise<void> {
    if (this.#localEnd) return;
    this.#localEnd = reason;
    if (reason === "eom") await this.#write({ type: "eom" }).catch(() => {});
    await this.#channel.close();
  }

  async #write(message: PeerMessage): Promise<void> {
    await this.#channel.send(encodePeerMessage(message));
  }

  async #readLoop(): Promise<CloseReason> {
    let reason: CloseReason = "connection-lost";
    let detail = "";
    try {
      for await (const bytes of this.#channel.messages()) {
        const message = decodePeerMessage(bytes);
        if (message.type === "msg") {
          this.#sink.emit({
            type: "message",
            peer: this.peer.name,
            id: message.id,
            text: message.text,
            time: new Date(message.time).toISOString(),
          });
          this.#write({ type: "ack", id: message.id }).catch(() => {});
        } else if (message.type === "ack") {
          if (this.#unacked.delete(message.id)) {
            this.#sink.emit({ type: "delivered", peer: this.peer.name, id: message.id });
          }
        } else if (message.type === "eom") {
          reason = "eom";
          detail = `${this.peer.name} ended the chat`;
        }
      }
      // A clean end: the peer's authenticated close record (EOM, or it quit), or our own close.
      reason = "eom";
      detail ||= `${this.peer.name} ended the chat`;
    } catch (error) {
      if (this.#localEnd) {
        reason = this.#localEnd;
        detail = "You ended the chat";
      } else if (
        error instanceof RecordError &&
        ["tampered", "replayed", "missing", "unexpected-type"].includes(error.code)
      ) {
        reason = "security";
        detail =
          `The connection to ${this.peer.name} was tampered with (${error.code}); the chat was closed`;
      } else {
        reason = "connection-lost";
        detail = `Connection to ${this.peer.name} lost`;
      }
    }
    if (this.#localEnd && reason !== "security") {
      reason = this.#localEnd;
      detail = "You ended the chat";
    }
    this.#channel.abort();
    if (this.#unacked.size > 0) {
      this.#sink.emit({
        type: "undelivered",
        peer: this.peer.name,
        ids: [...this.#unacked.keys()],
      });
      this.#unacked.clear();
    }
    this.#onClose();
    this.#sink.emit({ type: "chat-closed", peer: this.peer.name, reason, message: detail });
    return reason;
  }
}
