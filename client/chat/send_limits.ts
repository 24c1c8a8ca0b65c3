/**
 * What a chat refuses to send, without I/O: nothing once it is closing, no
 * text longer than a message holds, nothing more while the peer does not
 * read what is queued for it (SEND_HIGH_WATER) or has not acknowledged
 * MAX_IN_FLIGHT messages.
 *
 * @module
 */
import { SEND_HIGH_WATER } from "../../crypto/mod.ts";
import type { Name } from "../../protocol/mod.ts";
import { ChatError } from "../core/mod.ts";
import { MAX_IN_FLIGHT } from "./delivery_ledger.ts";
import { MAX_TEXT_LENGTH } from "./peer_messages.ts";

/** What a send is checked against: the chat's life and the load on its connection. */
export type SendLoad = {
  /** Either side began to end the chat, or its connection closed. */
  readonly closing: boolean;
  /** Bytes queued on the chat's connection and not yet written. */
  readonly buffered: number;
  /** Messages sent and not yet acknowledged. */
  readonly unacknowledged: number;
};

/** Throws the ChatError that says why `text` cannot go to `peer` now; returns if it can. */
export function checkSend(peer: Name, text: string, load: SendLoad): void {
  if (load.closing) throw new ChatError({ code: "chat-ended", problem: "chat-ended", peer });
  if (text.length > MAX_TEXT_LENGTH) {
    throw new ChatError({
      code: "too-long",
      problem: "text-too-long",
      length: text.length,
      max: MAX_TEXT_LENGTH,
    });
  }
  if (load.buffered >= SEND_HIGH_WATER) {
    throw new ChatError({ code: "peer-slow", problem: "peer-slow", peer });
  }
  if (load.unacknowledged >= MAX_IN_FLIGHT) {
    throw new ChatError({
      code: "too-many-unacked",
      problem: "too-many-unacked",
      peer,
      max: MAX_IN_FLIGHT,
    });
  }
}
