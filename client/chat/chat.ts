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
import type { SecureChannel } from "../../crypto/mod.ts";
import { DeliveryLedger, sequenceOf } from "./delivery_ledger.ts";
import { PeerProtocolError } from "../core/mod.ts";
import type { ClientEvent, EventSink, Path, Via } from "../core/mod.ts";
import {
  type ChatState,
  type ChatStep,
  endedBy,
  isClosing,
  mayMove,
  nextState,
  type Outcome,
} from "./chat_state.ts";
import { decodePeerMessage, encodePeerMessage, type PeerMessage } from "./peer_messages.ts";
import { isFileMessage } from "../files/mod.ts";
import type { ChatOptions, ChatPeer } from "./chat_options.ts";
import { faultOutcome } from "./chat_faults.ts";
import { checkSend } from "./send_limits.ts";

/** How long an end waits for the peer to acknowledge and close before closing anyway. */
export const END_LINGER_MS = 2_000;
/** How long a chat whose peer said "moved" waits for the move to reach this side. */
export const MOVE_WAIT_MS = 10_000;

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
  readonly #onState: (state: ChatState) => void;
  readonly #ledger = new DeliveryLedger();
  readonly #ended = Promise.withResolvers<void>();
  #state: ChatState = { kind: "open" };
  /** Resolved at each change of state, then replaced: what a wait for the move listens to. */
  #changed = Promise.withResolvers<void>();
  #channel: SecureChannel;
  #path: Path;
  #via: Via = "direct"; // Hole punching: how a direct connection was made.
  readonly #aside: ChatOptions["aside"];
  /** Connections this side moved away from, still open until both said `moved` there. */
  readonly #leaving = new Map<SecureChannel, ReturnType<typeof setTimeout>>();
  /**
   * The last message sequence number read on each connection. A sender
   * writes ids in rising order on any one connection (what it resends after a
   * move goes on the new one), so a repeat there is a peer that floods us
   * with work (each repeat would be acknowledged again), not a lost ack.
   */
  readonly #lastIn = new WeakMap<SecureChannel, number>();
  readonly #files: ChatOptions["files"];

  /** Runs the chat over `channel`. */
  constructor(peer: ChatPeer, channel: SecureChannel, options: ChatOptions) {
    this.peer = peer;
    this.id = options.id;
    this.relayToken = options.relayToken;
    this.#channel = channel;
    this.#path = options.path;
    this.#sink = options.sink;
    this.#onState = options.onState ?? (() => {});
    this.#clock = options.clock ?? Date.now;
    this.#aside = options.aside;
    this.#files = options.files;
    this.#readFrom(channel, options.firstRead);
  }

  /** Resolves once the chat has ended and its last events were reported. */
  get ended(): Promise<void> {
    return this.#ended.promise;
  }

  /** Where the chat is in its life. */
  get state(): ChatState {
    return this.#state;
  }

  /** How the chat's bytes travel now. */
  get path(): Path {
    return this.#path;
  }

  /** Hole punching: how the direct connection the chat runs on was made. */
  get via(): Via {
    return this.#via;
  }

  /** Files (issue 23): the connection the chat runs on now (a move changes it). */
  get channel(): SecureChannel {
    return this.#channel;
  }

  /**
   * Moves the chat onto `channel` (a new connection to the same, proven key):
   * what was not acknowledged is sent again there, new messages go there, and
   * the old connection is closed after what it still carries. Reports
   * `path-changed` (with `via`). A chat that is ending refuses, closing `channel`.
   */
  migrate(channel: SecureChannel, path: Path, via: Via = "direct"): boolean {
    if (!mayMove(this.#state)) {
      channel.abort();
      return false;
    }
    const old = this.#channel;
    const peerMovedAlready = this.#state.kind === "moving";
    this.#channel = channel;
    this.#path = path;
    this.#via = via;
    this.#readFrom(channel);
    for (const message of this.#ledger.pending) this.#write({ type: "msg", ...message });
    // Tell the peer on the old connection, so that its end there does not end the chat. The old
    // connection stays open (and read) until both sides have said `moved` there, or at most
    // MOVE_WAIT_MS: closing a socket with bytes unread makes the kernel reset it, and a reset
    // throws away what it still carried for the peer, `moved` included.
    this.#write({ type: "moved" }, old);
    this.#leaving.set(old, setTimeout(() => this.#leave(old, "abort"), MOVE_WAIT_MS));
    if (peerMovedAlready) this.#leave(old, "close");
    this.#step({ type: "migrated" });
    this.#emit({ type: "path-changed", peer: this.peer.name, path, via });
    return true;
  }

  /**
   * True once either side began to end the chat, or its connection closed:
   * nothing more can be sent. A connection the peer moved the chat away from
   * does not count: the chat waits for the move.
   */
  get closing(): boolean {
    return isClosing(this.#state) || (this.#channel.closed && this.#state.kind !== "moving");
  }

  /**
   * Sends `text`; returns its id. Reports `sent` to `out` (the chat's sink
   * unless given: a command's reply goes to its own); delivery is reported
   * by a `delivered` event. Throws ChatError when it cannot be sent.
   */
  send(text: string, out: EventSink = this.#sink): string {
    const peer = this.peer.name;
    checkSend(peer, text, {
      closing: this.closing,
      buffered: this.#channel.bufferedAmount,
      unacknowledged: this.#ledger.unacknowledged,
    });
    const message = this.#ledger.send(text, this.#clock());
    out.emit({
      type: "sent",
      peer,
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
    if (this.#state.kind === "ending" || this.#state.kind === "over") return this.ended;
    this.#step({ type: "end" });
    this.#write({ type: "eom" });
    (async () => {
      {
        using linger = Deadline.after(END_LINGER_MS, () => new Error("linger over"));
        // Over or not within the linger: either way it is time to close.
        await abortable(this.ended, linger.signal).catch(() => {});
      }
      await this.#channel.close();
    })();
    return this.ended;
  }

  #step(step: ChatStep): void {
    const next = nextState(this.#state, step);
    if (next === this.#state) return;
    this.#state = next;
    this.#changed.resolve();
    this.#changed = Promise.withResolvers<void>();
    this.#onState(next);
  }

  /** Writes `message` on `channel` (the chat's, unless given). */
  #write(message: PeerMessage, channel = this.#channel): void {
    // A failed write fails the channel, and its read loop reports it: nothing is lost here.
    channel.send(encodePeerMessage(message)).catch(() => {});
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
        const message = decodePeerMessage(bytes);
        // Files (issue 23).
        if (isFileMessage(message) && this.#files) await this.#files(message, channel);
        else this.#handle(message, channel);
      }
      const state = this.#channel.state;
      outcome = {
        reason: "eom",
        by: endedBy(this.#state, state.kind === "closed" && state.by === "local"),
      };
    } catch (error) {
      outcome = channel === this.#channel ? this.#fault(error) : { reason: "eom", by: "you" };
    }
    // A connection the chat moved away from: its end is no news.
    if (channel !== this.#channel) return this.#leave(channel, "abort");
    if (this.#state.kind === "moving") {
      // The peer moved the chat and this side has not caught up yet: wait for the move.
      using wait = Deadline.after(MOVE_WAIT_MS, () => new Error("the move did not come"));
      while (this.#state.kind === "moving" && !wait.signal.aborted) {
        // Woken by each change of state, or by the wait's end: the loop looks at which.
        await abortable(this.#changed.promise, wait.signal).catch(() => {});
      }
      if (channel !== this.#channel) return channel.abort();
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
    if (this.#state.kind === "over") return;
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
    this.#step({ type: "finished", outcome });
    this.#emit({ type: "chat-closed", peer: this.peer.name, ...outcome });
    this.#ended.resolve();
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
        if (from === this.#channel) this.#step({ type: "peer-moved" });
        // Both sides have said it: all either sent there has been read, so nothing is lost.
        else if (this.#leaving.has(from)) this.#leave(from, "close");
        return;
      case "eom":
        // The peer ended the chat: close our side (what we queued, acks included, goes first),
        // and read on until the peer's end: its acknowledgements of what it showed after its
        // EOM are on their way, and a message it showed is never reported undelivered.
        this.#step({ type: "peer-eom" });
        this.#channel.close({ drain: true });
        return;
      default:
        // Hole punching: the punch's messages ride on the chat (§11.2).
        if (this.#aside?.(message, from)) return;
        throw new PeerProtocolError(`an unexpected ${message.type} in an open chat`);
    }
  }

  /** How a failed read ended the chat; a peer that broke the protocol is warned about. */
  #fault(error: unknown): Outcome {
    if (error instanceof PeerProtocolError) {
      this.#emit({
        type: "security-warning",
        peer: this.peer.name,
        reason: "peer-protocol",
        expected: "",
        got: this.peer.fingerprint,
        detail: error.message,
      });
    }
    return faultOutcome(error, this.#state);
  }
}
