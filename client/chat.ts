/**
 * One open chat with a peer: the I/O shell around its delivery ledger. It
 * sends and acknowledges messages, ends with EOM telling a clean end from a
 * cut connection, and reports what was delivered truthfully: an end waits,
 * bounded, for acknowledgements already on their way, and a message is
 * reported undelivered only if the peer may not have shown it.
 *
 * @module
 */
import { abortable, Deadline } from "../async/mod.ts";
import { type Fingerprint, RecordError, type SecureChannel } from "../crypto/mod.ts";
import type { Name, NameKey } from "../directory/mod.ts";
import { DeliveryLedger, LedgerViolation, MAX_IN_FLIGHT } from "./delivery_ledger.ts";
import { ChatError, PeerProtocolError } from "./errors.ts";
import type { ClientEvent, ClosedBy, CloseReason, EventSink, Path } from "./events.ts";
import {
  decodePeerMessage,
  encodePeerMessage,
  MAX_TEXT_LENGTH,
  type PeerMessage,
} from "./peer_messages.ts";

/** How long an end waits for the peer to acknowledge and close before closing anyway. */
export const END_LINGER_MS = 2_000;

/** Record faults that mean someone tampered with the connection, not that it dropped. */
const TAMPERING = new Set(["tampered", "replayed", "missing", "unexpected-type", "malformed"]);

/** What a chat knows about its peer. */
export type ChatPeer = {
  readonly name: Name;
  readonly key: NameKey;
  readonly fingerprint: Fingerprint;
  readonly sas: string;
};

type Outcome = { reason: CloseReason; by: ClosedBy; detail?: string };

/** A live chat. */
export class Chat {
  /** Who the chat is with. */
  readonly peer: ChatPeer;
  /** Resolves once the chat has ended and its last events were reported. */
  readonly ended: Promise<void>;
  readonly #channel: SecureChannel;
  readonly #path: Path;
  readonly #sink: EventSink;
  readonly #clock: () => number;
  readonly #onClose: () => void;
  readonly #ledger = new DeliveryLedger();
  #ending: Promise<void> | undefined;
  #peerEnded = false;

  /**
   * Runs the chat over `channel`. `firstRead` is a receive already under way
   * (the one that watched a request while it waited); `onClose` runs as the
   * chat ends, before `chat-closed` is reported, so the report sees the new state.
   */
  constructor(
    peer: ChatPeer,
    channel: SecureChannel,
    options: {
      path: Path;
      sink: EventSink;
      onClose: () => void;
      clock?: () => number;
      firstRead?: Promise<Uint8Array | null>;
    },
  ) {
    this.peer = peer;
    this.#channel = channel;
    this.#path = options.path;
    this.#sink = options.sink;
    this.#onClose = options.onClose;
    this.#clock = options.clock ?? Date.now;
    this.ended = this.#run(options.firstRead);
  }

  /** How the chat's bytes travel. */
  get path(): Path {
    return this.#path;
  }

  /** True once either side began to end the chat: nothing more can be sent. */
  get closing(): boolean {
    return this.#ending !== undefined || this.#peerEnded || this.#channel.closed;
  }

  /** Sends `text`; returns its id. Delivery is reported by a `delivered` event. */
  send(text: string): string {
    if (this.closing) {
      throw new ChatError("chat-ended", `The chat with ${this.peer.name} has ended`);
    }
    if (text.length > MAX_TEXT_LENGTH) {
      throw new ChatError(
        "too-long",
        `The message is ${text.length} characters; at most ${MAX_TEXT_LENGTH} fit in one`,
      );
    }
    if (this.#ledger.unacknowledged >= MAX_IN_FLIGHT) {
      throw new ChatError(
        "too-many-unacked",
        `${this.peer.name} has not acknowledged ${MAX_IN_FLIGHT} messages; wait before sending more`,
      );
    }
    const message = this.#ledger.send(text, this.#clock());
    this.#emit({
      type: "sent",
      peer: this.peer.name,
      id: message.id,
      text,
      time: new Date(message.time).toISOString(),
    });
    this.#write({ type: "msg", ...message });
    return message.id;
  }

  /**
   * Ends the chat for both sides (EOM): tells the peer, waits at most
   * END_LINGER_MS for it to acknowledge what it showed and close, then closes.
   * Resolves once the chat has ended. Safe to call more than once.
   */
  end(): Promise<void> {
    this.#ending ??= (async () => {
      this.#write({ type: "eom" });
      {
        using linger = Deadline.after(END_LINGER_MS, () => new Error("linger over"));
        await abortable(this.ended, linger.signal).catch(() => {});
      }
      await this.#channel.close();
      await this.ended;
    })();
    return this.#ending;
  }

  #write(message: PeerMessage): void {
    // A failed write fails the channel, and the read loop reports it.
    this.#channel.send(encodePeerMessage(message)).catch(() => {});
  }

  #emit(event: ClientEvent): void {
    this.#sink.emit(event);
  }

  async #run(firstRead: Promise<Uint8Array | null> | undefined): Promise<void> {
    let outcome: Outcome;
    try {
      let bytes = await (firstRead ?? this.#channel.receive());
      for (; bytes !== null; bytes = await this.#channel.receive()) {
        this.#handle(decodePeerMessage(bytes));
      }
      outcome = { reason: "eom", by: this.#endedBy() };
    } catch (error) {
      outcome = this.#fault(error);
    }
    this.#channel.abort();
    const undelivered = this.#ledger.end();
    if (undelivered.length > 0) {
      this.#emit({
        type: "undelivered",
        peer: this.peer.name,
        ids: undelivered.map((m) => m.id),
        texts: undelivered.map((m) => m.text),
      });
    }
    this.#onClose();
    this.#emit({ type: "chat-closed", peer: this.peer.name, ...outcome });
  }

  /** Who ended a chat that closed cleanly: whoever said EOM (or closed) first. */
  #endedBy(): ClosedBy {
    if (this.#ending) return "you";
    if (this.#peerEnded) return "peer";
    const state = this.#channel.state;
    return state.kind === "closed" && state.by === "local" ? "you" : "peer";
  }

  #handle(message: PeerMessage): void {
    switch (message.type) {
      case "msg": {
        const arrival = this.#ledger.receive(message);
        if ("duplicate" in arrival) this.#write({ type: "ack", id: message.id });
        if (!("show" in arrival)) return;
        for (const shown of arrival.show) {
          this.#emit({
            type: "message",
            peer: this.peer.name,
            id: shown.id,
            text: shown.text,
            time: new Date(shown.time).toISOString(),
          });
          // Acknowledged once shown: an ack means "the peer's client displayed it".
          this.#write({ type: "ack", id: shown.id });
        }
        return;
      }
      case "ack": {
        const acked = this.#ledger.acknowledge(message.id);
        if (acked) {
          this.#emit({ type: "delivered", peer: this.peer.name, id: acked.id, text: acked.text });
        }
        return;
      }
      case "eom":
        // The peer ended the chat: close our side (what we queued, acks included, goes first).
        this.#peerEnded = true;
        this.#channel.close();
        return;
      default:
        throw new PeerProtocolError(`an unexpected ${message.type} in an open chat`);
    }
  }

  #fault(error: unknown): Outcome {
    if (error instanceof PeerProtocolError || error instanceof LedgerViolation) {
      this.#emit({
        type: "security-warning",
        peer: this.peer.name,
        reason: "peer-protocol",
        expected: "",
        got: this.peer.fingerprint,
        detail: error.message,
      });
      return { reason: "security", by: "peer", detail: "peer-protocol" };
    }
    if (error instanceof RecordError && TAMPERING.has(error.code)) {
      return { reason: "security", by: "network", detail: error.code };
    }
    // Cut after our own end began: the peer hung up on our EOM, which is still our end.
    if (this.#ending) return { reason: "eom", by: "you" };
    return { reason: "connection-lost", by: "network" };
  }
}
