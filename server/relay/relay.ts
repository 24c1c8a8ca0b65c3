/**
 * The blind relay (docs/protocol.md §11): pairs two relay connections that
 * present the same one-time token and then only copies bytes between them.
 * The peers run their own end-to-end handshake through it, so the relay sees
 * ciphertext and cannot change a byte undetected. Sessions and bytes are
 * bounded per client and per server.
 *
 * @module
 */
import { DirectoryError, READY_FRAME, TOKEN_LENGTH } from "../../protocol/mod.ts";
import { toHex, type Transport } from "../../crypto/mod.ts";
import { abortable, Deadline } from "../../async/mod.ts";
import type { Logger } from "../ops/mod.ts";

/** How long after a relay ends its ends may still report that the chat moved to a direct connection. */
export const UPGRADE_REPORT_MS = 60_000;

/** How the relay is bounded. */
export type RelayLimits = {
  enabled: boolean;
  /** Relayed chats open (or offered) at once on this server. */
  maxSessions: number;
  /** Relayed chats one client may have open or offered at once. */
  maxPerClient: number;
  /** Bytes one relayed chat may carry, both directions together. */
  maxBytes: number;
  /** How long a token waits for both sides to join. */
  tokenTtlMs: number;
};

type Offer = {
  readonly ends: [object, object];
  readonly expires: number;
  /** The side that joined first, waiting for its partner; resolved with the relay's end, or false. */
  waiting?: { transport: Transport; paired: PromiseWithResolvers<{ ended: Promise<void> }> };
};

/** Offers, pairs and pipes relayed chats. */
export class RelayBroker {
  /** Relayed chats open now. */
  sessionsOpen = 0;
  /** Bytes relayed, both directions. */
  bytesTotal = 0;
  /** Relayed chats whose ends said they moved to a direct connection. */
  upgradedTotal = 0;
  /** Relays by token while open and for UPGRADE_REPORT_MS after: who may report a move. */
  readonly #relayed = new Map<
    string,
    { ends: readonly object[]; counted: boolean; until: number }
  >();
  readonly #limits: RelayLimits;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #offers = new Map<string, Offer>();
  readonly #perClient = new Map<object, number>();
  readonly #remoteEnds = new Map<string, object>();

  /** A broker within `limits`, logging to `log`, timing offers by `clock`. */
  constructor(limits: RelayLimits, log: Logger, clock: () => number) {
    this.#limits = limits;
    this.#log = log;
    this.#clock = clock;
  }

  /** Files (issue 23): the bytes one relayed chat may carry, both ways (`--relay-max-bytes`). */
  get maxBytes(): number {
    return this.#limits.maxBytes;
  }

  /** Creates a token pairing `initiator` and `responder`; throws DirectoryError when disabled or over a limit. */
  offer(initiator: object, responder: object): string {
    if (!this.#limits.enabled) {
      throw new DirectoryError(
        "relay-disabled",
        "This directory does not relay chats; the peer must be reachable directly",
      );
    }
    this.#sweep();
    if (this.sessionsOpen + this.#offers.size >= this.#limits.maxSessions) {
      throw new DirectoryError(
        "relay-limit",
        "The directory is relaying as many chats as it may; try again later",
      );
    }
    for (const end of [initiator, responder]) {
      if ((this.#perClient.get(end) ?? 0) >= this.#limits.maxPerClient) {
        throw new DirectoryError(
          "relay-limit",
          `At most ${this.#limits.maxPerClient} relayed chats per user at once`,
        );
      }
    }
    const token = toHex(crypto.getRandomValues(new Uint8Array(TOKEN_LENGTH)));
    this.#offers.set(token, {
      ends: [initiator, responder],
      expires: this.#clock() + this.#limits.tokenTtlMs,
    });
    this.#count(initiator, 1);
    this.#count(responder, 1);
    return token;
  }

  /** Handles a connection that presented `token`: waits for its partner, then relays until either side ends. */
  async join(transport: Transport, token: Uint8Array, connection: number): Promise<void> {
    this.#sweep();
    const key = toHex(token);
    const offer = this.#offers.get(key);
    if (!offer) {
      this.#log.event("relay-refused", { session: connection, reason: "unknown-or-expired-token" });
      transport.close();
      return;
    }
    if (!offer.waiting) {
      // Wrapped in an object: a promise resolved with a promise would wait for the relay's end.
      const paired = Promise.withResolvers<{ ended: Promise<void> }>();
      offer.waiting = { transport, paired };
      let relaying: { ended: Promise<void> } | false;
      {
        using expiry = Deadline.after(offer.expires - this.#clock(), () => new Error("expired"));
        // The only rejection is the offer expiring: handled below as a partner who never came.
        relaying = await abortable(paired.promise, expiry.signal).catch(() => false as const);
      }
      if (relaying === false) {
        if (this.#offers.get(key) === offer) this.#retire(key, offer);
        this.#log.event("relay-refused", { session: connection, reason: "partner-never-came" });
        transport.close();
        return;
      }
      // Both connections live until the relay ends, whichever joined first.
      return await relaying.ended;
    }
    this.#offers.delete(key);
    const ended = Promise.withResolvers<void>();
    offer.waiting.paired.resolve({ ended: ended.promise });
    try {
      await this.#relay(offer.waiting.transport, transport, offer, { key, connection });
    } finally {
      ended.resolve();
    }
  }

  /** Copies bytes both ways until either side ends or the byte bound is passed. */
  async #relay(
    first: Transport,
    second: Transport,
    offer: Offer,
    { key: token, connection }: { key: string; connection: number },
  ): Promise<void> {
    this.sessionsOpen++;
    const relayed = { ends: offer.ends, counted: false, until: Infinity };
    this.#relayed.set(token, relayed);
    this.#log.event("relay-open", { session: connection });
    let carried = 0;
    let over = false;
    const closeBoth = (): void => {
      first.close();
      second.close();
    };
    const pump = async (from: Transport, to: Transport): Promise<void> => {
      try {
        for (let chunk = await from.read(); chunk !== null; chunk = await from.read()) {
          carried += chunk.length;
          this.bytesTotal += chunk.length;
          if (carried > this.#limits.maxBytes) {
            over = true;
            break;
          }
          await to.write(chunk);
        }
      } catch {
        // One side went away.
      }
      closeBoth();
    };
    try {
      await Promise.all([first.write(READY_FRAME), second.write(READY_FRAME)]);
      await Promise.all([pump(first, second), pump(second, first)]);
    } catch {
      closeBoth();
    } finally {
      this.sessionsOpen--;
      relayed.until = this.#clock() + UPGRADE_REPORT_MS;
      this.#uncount(offer);
      this.#log.event("relay-closed", {
        session: connection,
        bytes: carried,
        reason: over ? "byte-limit" : "ended",
      });
    }
  }

  /**
   * `client`, one end of the relay `token`, says the chat moved to a direct
   * connection: counted once per relay. Unknown tokens and strangers are ignored.
   */
  upgraded(client: object, token: string): void {
    const relayed = this.#relayed.get(token);
    if (!relayed || relayed.counted || !relayed.ends.includes(client)) return;
    relayed.counted = true;
    this.upgradedTotal++;
  }

  /** The stand-in for a user on another instance, one per name, for the per-user bound. */
  remoteEnd(key: string): object {
    let end = this.#remoteEnds.get(key);
    if (!end) {
      end = { remote: key };
      this.#remoteEnds.set(key, end);
    }
    return end;
  }

  /** Withdraws an offer that could not be delivered. */
  cancel(token: string): void {
    const offer = this.#offers.get(token);
    if (offer && !offer.waiting) this.#retire(token, offer);
  }

  /** Forgets what a departing client had offered or been offered. */
  forget(client: object): void {
    for (const [key, offer] of this.#offers) {
      if (offer.ends.includes(client) && !offer.waiting) this.#retire(key, offer);
    }
  }

  #sweep(): void {
    const now = this.#clock();
    for (const [token, relayed] of this.#relayed) {
      if (relayed.until < now) this.#relayed.delete(token);
    }
    for (const [key, offer] of this.#offers) {
      if (offer.expires <= now && !offer.waiting) this.#retire(key, offer);
    }
  }

  #retire(key: string, offer: Offer): void {
    this.#offers.delete(key);
    this.#uncount(offer);
  }

  #uncount(offer: Offer): void {
    this.#count(offer.ends[0], -1);
    this.#count(offer.ends[1], -1);
  }

  #count(client: object, delta: number): void {
    const n = (this.#perClient.get(client) ?? 0) + delta;
    if (n <= 0) {
      this.#perClient.delete(client);
      const remote = (client as { remote?: string }).remote;
      if (remote !== undefined) this.#remoteEnds.delete(remote);
    } else this.#perClient.set(client, n);
  }
}
