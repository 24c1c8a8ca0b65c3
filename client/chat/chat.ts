/**
 * One open chat with a peer: the I/O shell around its delivery ledger. It
 * sends and acknowledges messages, ends with EOM telling a clean end from a
 * cut connection, and reports what was delivered truthfully: an end waits,
 * bounded, for acknowledgements already on their way, and a message is
 * reported undelivered only if the peer may not have shown it.
 *
 * A chat can move to another connection (relay to direct, docs/protocol.md
 * §11.1): what was sent and not acknowledged is sent again on the new one,
 * and the ledger shows each message once and in order, so nothing is lost,
 * repeated or reordered across the move; the old connection's end no longer
 * ends the chat.
 *
 * @module
 */
import { abortable, Deadline } from "../../async/mod.ts";
import {
  type Fingerprint,
  RecordError,
  type SecureChannel,
  SEND_HIGH_WATER,
} from "../../crypto/mod.ts";
import type { Name, NameKey } from "../../protocol/mod.ts";
import { DeliveryLedger, LedgerViolation, MAX_IN_FLIGHT, sequenceOf } from "./delivery_ledger.ts";
import { ChatError, PeerProtocolError } from "../core/mod.ts";
import type { ClientEvent, ClosedBy, CloseReason, EventSink, Path } from "../core/mod.ts";
import {
  decodePeerMessage,
  encodePeerMessage,
  MAX_TEXT_LENGTH,
  type PeerMessage,
} from "./peer_messages.ts";

/** How long an end waits for the peer to acknowledge and close before closing anyway. */
export const END_LINGER_MS = 2_000;
/** How long a chat whose peer said "moved" waits for the move to reach this side. */
export const MOVE_WAIT_MS = 10_000;

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

/** What a chat carries besides its channel. */
export type ChatOptions = {
  path: Path;
  sink: EventSink;
  /** Runs as the chat ends, before `chat-closed` is reported, so the report sees the new state. */
  /** Called once the chat is over, with who ended it. */
  onClose: (by: ClosedBy) => void;
  clock?: () => number;
  /** A receive already under way (the one that watched the request while it waited). */
  firstRead?: Promise<Uint8Array | null>;
  /** The id both ends share, which a move to another connection names. */
  id?: string;
  /** The relay token, when the chat runs through the relay. */
  relayToken?: string;
};

/** A live chat. */
export class Chat {
  /** Who the chat is with. */
  readonly peer: ChatPeer;
  /** The id both ends share (undefined with a peer too old to move chats). */
  readonly id: string | undefined;
  /** The relay token the chat first ran through, if it did. */
  readonly relayToken: string | undefined;
  readonly #sink: EventSink;
  readonly #clock: () => number;
  readonly #onClose: (by: ClosedBy) => void;
  readonly #ledger = new DeliveryLedger();
  readonly #ended = Promise.withResolvers<void>();
  #channel: SecureChannel;
  #path: Path;
  #ending: Promise<void> | undefined;
  #peerEnded = false;
  #over = false;
  /** Connections the peer said it moved the chat away from. */
  readonly #retired = new WeakSet<SecureChannel>();
  /** Connections this side moved away from, still open until both said `moved` there. */
  readonly #leaving = new Map<SecureChannel, ReturnType<typeof setTimeout>>();
  #moved = Promise.withResolvers<void>();
  /**
   * The last message sequence number read on each connection. A sender
   * writes ids in rising order on any one connection (what it resends after a
   * move goes on the new one), so a repeat there is a peer that floods us
   * with work (each repeat would be acknowledged again), not a lost ack.
   */
  readonly #lastIn = new WeakMap<SecureChannel, number>();

  /** Runs the chat over `channel`. */
  constructor(peer: ChatPeer, channel: SecureChannel, options: ChatOptions) {
    this.peer = peer;
    this.id = options.id;
    this.relayToken = options.relayToken;
    this.#channel = channel;
    this.#path = options.path;
    this.#sink = options.sink;
    this.#onClose = options.onClose;
    this.#clock = options.clock ?? Date.now;
    this.#readFrom(channel, options.firstRead);
  }

  /** Resolves once the chat has ended and its last events were reported. */
  get ended(): Promise<void> {
    return this.#ended.promise;
  }

  /** How the chat's bytes travel now. */
  get path(): Path {
    return this.#path;
  }

  /**
   * Moves the chat onto `channel` (a new connection to the same, proven key):
   * what was not acknowledged is sent again there, new messages go there, and
   * the old connection is closed after what it still carries. Reports
   * `path-changed`. A chat that is ending refuses, closing `channel`.
   */
  migrate(channel: SecureChannel, path: Path): boolean {
    if (this.#ending !== undefined || this.#peerEnded || this.#over) {
      channel.abort();
      return false;
    }
    const old = this.#channel;
    this.#channel = channel;
    this.#path = path;
    this.#readFrom(channel);
    for (const message of this.#ledger.pending) this.#write({ type: "msg", ...message });
    // Tell the peer on the old connection, so that its end there does not end the chat. The old
    // connection stays open (and read) until both sides have said `moved` there, or at most
    // MOVE_WAIT_MS: closing a socket with bytes unread makes the kernel reset it, and a reset
    // throws away what it still carried for the peer, `moved` included.
    old.send(encodePeerMessage({ type: "moved" })).catch(() => {});
    this.#leaving.set(old, setTimeout(() => this.#leave(old, "abort"), MOVE_WAIT_MS));
    if (this.#retired.has(old)) this.#leave(old, "close");
    this.#moved.resolve();
    this.#moved = Promise.withResolvers<void>();
    this.#emit({ type: "path-changed", peer: this.peer.name, path });
    return true;
  }

  /**
   * True once either side began to end the chat, or its connection closed:
   * nothing more can be sent. A connection the peer moved the chat away from
   * does not count: the chat waits for the move.
   */
  get closing(): boolean {
    return this.#ending !== undefined || this.#peerEnded || this.#over ||
      (this.#channel.closed && !this.#retired.has(this.#channel));
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
    if (this.#channel.bufferedAmount >= SEND_HIGH_WATER) {
      throw new ChatError(
        "peer-slow",
        `${this.peer.name} is not reading what you send; wait before sending more`,
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

  /** Reads `channel` until it ends; its end ends the chat only while it is the chat's channel. */
  async #readFrom(
    channel: SecureChannel,
    firstRead?: Promise<Uint8Array | null>,
  ): Promise<void> {
    let outcome: Outcome;
    try {
      let bytes = await (firstRead ?? channel.receive());
      for (; bytes !== null; bytes = await channel.receive()) {
        this.#handle(decodePeerMessage(bytes), channel);
      }
      outcome = { reason: "eom", by: this.#endedBy() };
    } catch (error) {
      outcome = channel === this.#channel ? this.#fault(error) : { reason: "eom", by: "you" };
    }
    // A connection the chat moved away from: its end is no news.
    if (channel !== this.#channel) return this.#leave(channel, "abort");
    if (this.#retired.has(channel)) {
      // The peer moved the chat and this side has not caught up yet: wait for the move.
      using wait = Deadline.after(MOVE_WAIT_MS, () => new Error("the move did not come"));
      const came = await abortable(this.#moved.promise, wait.signal).then(() => true, () => false);
      if (came) return channel.abort();
      outcome = { reason: "connection-lost", by: "network" };
    }
    this.#finish(outcome);
  }

  /** Ends a connection the chat moved away from: cleanly once both said `moved`, else cut. */
  #leave(channel: SecureChannel, how: "close" | "abort"): void {
    clearTimeout(this.#leaving.get(channel));
    this.#leaving.delete(channel);
    if (how === "close") channel.close({ drain: true });
    else channel.abort();
  }

  #finish(outcome: Outcome): void {
    if (this.#over) return;
    this.#over = true;
    // A channel still open is cut; one the peer closed is left to write what it owes (acks).
    if (this.#channel.state.kind === "open") this.#channel.abort();
    for (const channel of [...this.#leaving.keys()]) this.#leave(channel, "abort");
    const undelivered = this.#ledger.end();
    if (undelivered.length > 0) {
      this.#emit({
        type: "undelivered",
        peer: this.peer.name,
        ids: undelivered.map((m) => m.id),
        texts: undelivered.map((m) => m.text),
      });
    }
    this.#onClose(outcome.by);
    this.#emit({ type: "chat-closed", peer: this.peer.name, ...outcome });
    this.#ended.resolve();
  }

  /** Who ended a chat that closed cleanly: whoever said EOM (or closed) first. */
  #endedBy(): ClosedBy {
    if (this.#ending) return "you";
    if (this.#peerEnded) return "peer";
    const state = this.#channel.state;
    return state.kind === "closed" && state.by === "local" ? "you" : "peer";
  }

  #handle(message: PeerMessage, from: SecureChannel): void {
    switch (message.type) {
      case "msg": {
        // Arriving as our side closes: it could not be acknowledged, so it is not shown either,
        // and the sender's "undelivered" stays true.
        if (from.closed) return;
        const n = sequenceOf(message.id);
        if (n !== null && n <= (this.#lastIn.get(from) ?? 0)) {
          throw new PeerProtocolError(`message ${message.id} again on the same connection`);
        }
        if (n !== null) this.#lastIn.set(from, n);
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
      case "moved":
        this.#retired.add(from);
        // Both sides have said it: all either sent there has been read, so nothing is lost.
        if (this.#leaving.has(from)) this.#leave(from, "close");
        return;
      case "eom":
        // The peer ended the chat: close our side (what we queued, acks included, goes first),
        // and read on until the peer's end: its acknowledgements of what it showed after its
        // EOM are on their way, and a message it showed is never reported undelivered.
        this.#peerEnded = true;
        this.#channel.close({ drain: true });
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
    if (error instanceof RecordError && error.code === "slow-reader") {
      // The peer left what we owe it (acknowledgements) unread past the channel's bound.
      return { reason: "connection-lost", by: "peer", detail: "slow-reader" };
    }
    if (error instanceof RecordError && TAMPERING.has(error.code)) {
      return { reason: "security", by: "network", detail: error.code };
    }
    // Cut after our own end began: the peer hung up on our EOM, which is still our end.
    if (this.#ending) return { reason: "eom", by: "you" };
    return { reason: "connection-lost", by: "network" };
  }
}
