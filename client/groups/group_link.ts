/**
 * A group link (docs/protocol.md §13.2): one secure channel with a member,
 * opened by either side with a `hello` that names its purpose and a group,
 * carrying group frames both ways, one per record, for every group the two
 * share. It is the shell around the channel: it writes frames, reads them
 * (strictly decoded) and says when it ended; a link nobody used for
 * LINK_IDLE_MS is closed.
 *
 * @module
 */
import type { SecureChannel } from "../../crypto/mod.ts";
import { PeerProtocolError } from "../core/mod.ts";
import { decodeFrameBytes, encodeFrame, type GroupFrame } from "./group_frames.ts";
import type { Peer } from "./group_events.ts";

/** How long a link carries nothing before it is closed. */
export const LINK_IDLE_MS = 10 * 60 * 1000;
/** How long the member has to answer the hello of a link we open. */
export const LINK_ANSWER_MS = 5_000;

/** What a link tells its owner. */
export type LinkHandlers = {
  /** A frame came. */
  frame(link: GroupLink, frame: GroupFrame): void;
  /** The member broke the protocol (`rule`); the link is cut. */
  fault(link: GroupLink, rule: string): void;
  /** The link is over, whichever way it ended. */
  ended(link: GroupLink): void;
};

/** One member's link. */
export class GroupLink {
  /** Who is at the other end, as proven. */
  readonly peer: Peer;
  readonly #channel: SecureChannel;
  readonly #handlers: LinkHandlers;
  #idle: ReturnType<typeof setTimeout> | undefined;
  readonly #ended = Promise.withResolvers<void>();

  /** Runs a link over `channel` (the hello and its answer said already). */
  constructor(peer: Peer, channel: SecureChannel, handlers: LinkHandlers) {
    this.peer = peer;
    this.#channel = channel;
    this.#handlers = handlers;
    this.#touch();
    this.#read();
  }

  /** Resolves once the link is over. */
  get ended(): Promise<void> {
    return this.#ended.promise;
  }

  /** Whether nothing more can be written. */
  get closed(): boolean {
    return this.#channel.closed;
  }

  /** Writes `frames`, in order. */
  write(frames: readonly GroupFrame[]): void {
    this.#touch();
    for (const frame of frames) {
      // A failed write fails the channel, and the read loop ends the link: the fan-out then
      // sends what was not shown another way.
      this.#channel.send(encodeFrame(frame)).catch(() => {});
    }
  }

  /** Closes the link after what it carries (our acknowledgements included). */
  close(): Promise<void> {
    clearTimeout(this.#idle);
    return this.#channel.close({ drain: true });
  }

  /** Cuts the link. */
  abort(): void {
    clearTimeout(this.#idle);
    this.#channel.abort();
  }

  #touch(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.close(), LINK_IDLE_MS);
  }

  async #read(): Promise<void> {
    try {
      for (
        let bytes = await this.#channel.receive();
        bytes;
        bytes = await this.#channel.receive()
      ) {
        this.#touch();
        this.#handlers.frame(this, decodeFrameBytes(bytes));
      }
    } catch (error) {
      if (error instanceof PeerProtocolError) {
        this.#handlers.fault(this, error.message);
        this.#channel.abort();
      }
      // Otherwise cut, tampered with or gone: the link is over either way.
    } finally {
      clearTimeout(this.#idle);
      if (this.#channel.state.kind === "open") this.#channel.abort();
      this.#handlers.ended(this);
      this.#ended.resolve();
    }
  }
}
