/**
 * A chat's delivery ledger, without I/O (docs/protocol.md §10): what we sent
 * and what the peer acknowledged, and, the other way, which of the peer's
 * messages we showed. Message ids are `m1`, `m2`, … in sending order on each
 * side, so that a message sent again (after the chat moves to another
 * connection) is recognised and shown once, in order.
 *
 * @module
 */
import { PeerProtocolError } from "../core/mod.ts";

/** A message we sent that the peer has not acknowledged yet. */
export type Outgoing = { readonly id: string; readonly text: string; readonly time: number };

/** What to do with a message the peer sent. */
export type Arrival =
  /** Show these (in order; more than one when an earlier gap filled) and acknowledge each. */
  | { readonly show: readonly Incoming[] }
  /** Seen already (sent again after a move): acknowledge it again, show nothing. */
  | { readonly duplicate: true }
  /** Ahead of a message still missing: held until the gap fills. */
  | { readonly held: true };

/** A message the peer sent. */
export type Incoming = { readonly id: string; readonly text: string; readonly time: number };

/** Most messages either side may have in flight: unacknowledged, or held for a gap. */
export const MAX_IN_FLIGHT = 1000;

const ID = /^m([1-9][0-9]{0,15})$/;

/** The sequence number in a message id (`m7` → 7), or null when it is not one. */
export function sequenceOf(id: string): number | null {
  const match = ID.exec(id);
  if (!match) return null;
  const n = Number(match[1]);
  return Number.isSafeInteger(n) ? n : null;
}

/** Why a message from the peer cannot be taken: a peer-protocol fault (the rule it broke). */
export class LedgerViolation extends PeerProtocolError {}

/** Both directions of one chat's messages. */
export class DeliveryLedger {
  readonly #unacked = new Map<string, Outgoing>();
  readonly #held = new Map<number, Incoming>();
  #nextOut = 1;
  #nextIn = 1;
  #ended = false;

  /** How many of our messages wait for an acknowledgement. */
  get unacknowledged(): number {
    return this.#unacked.size;
  }

  /** Our unacknowledged messages, oldest first: what to send again after a move. */
  get pending(): readonly Outgoing[] {
    return [...this.#unacked.values()];
  }

  /** Records a message we are about to send; returns it with its id. Throws RangeError past MAX_IN_FLIGHT. */
  send(text: string, time: number): Outgoing {
    if (this.#ended) throw new RangeError("The chat has ended");
    if (this.#unacked.size >= MAX_IN_FLIGHT) {
      throw new RangeError(`${MAX_IN_FLIGHT} messages already wait for acknowledgement`);
    }
    const message = { id: `m${this.#nextOut++}`, text, time };
    this.#unacked.set(message.id, message);
    return message;
  }

  /** The peer acknowledged `id`: the message, the first time; undefined for an unknown or repeated id, or after end(). */
  acknowledge(id: string): Outgoing | undefined {
    if (this.#ended) return undefined;
    const message = this.#unacked.get(id);
    if (message) this.#unacked.delete(id);
    return message;
  }

  /**
   * A message from the peer. Shown once and in order: a repeat is a
   * duplicate, one ahead of a gap is held. Throws LedgerViolation for an id
   * that is not `m<n>` or that would hold more than MAX_IN_FLIGHT.
   */
  receive(message: Incoming): Arrival {
    const n = sequenceOf(message.id);
    if (n === null) throw new LedgerViolation(`the message id is not m1, m2, …`);
    if (n < this.#nextIn || this.#held.has(n)) return { duplicate: true };
    if (n >= this.#nextIn + MAX_IN_FLIGHT) {
      throw new LedgerViolation(`message ${message.id} is too far ahead of m${this.#nextIn}`);
    }
    if (n > this.#nextIn) {
      this.#held.set(n, message);
      return { held: true };
    }
    const show: Incoming[] = [message];
    this.#nextIn++;
    for (let next = this.#held.get(this.#nextIn); next; next = this.#held.get(this.#nextIn)) {
      this.#held.delete(this.#nextIn);
      show.push(next);
      this.#nextIn++;
    }
    return { show };
  }

  /** Ends the chat: returns the messages never acknowledged; later acknowledgements are ignored. */
  end(): readonly Outgoing[] {
    if (this.#ended) return [];
    this.#ended = true;
    const undelivered = [...this.#unacked.values()];
    this.#unacked.clear();
    this.#held.clear();
    return undelivered;
  }
}
