/**
 * The chat-request lifecycle, without I/O: every request, incoming or
 * outgoing, is pending until it ends in exactly one of accepted, declined,
 * expired, superseded (a newer request from the same person replaced it) or
 * cancelled (the other side hung up, or we quit). Time is passed in; the
 * shell keeps one timer for `nextExpiry()`.
 *
 * @module
 */
import { type Name, type NameKey, nameKey } from "../../protocol/mod.ts";

/** How long a chat request waits for the other user to accept or decline. */
export const REQUEST_TIMEOUT_MS = 120_000;

/**
 * How a request ended; `evicted`: dropped to make room for a request from a
 * source with fewer pending (see RequestBook.incoming).
 */
export type RequestEnd =
  | "accepted"
  | "declined"
  | "expired"
  | "superseded"
  | "evicted"
  | "cancelled";

/** Which way a request goes. */
export type RequestDirection = "incoming" | "outgoing";

/** One request. `detail` is whatever the shell attaches (the channel, the key status). */
export type ChatRequest<T> = {
  readonly id: number;
  readonly direction: RequestDirection;
  readonly peer: NameKey;
  readonly name: Name;
  readonly expires: number;
  readonly detail: T;
  /** "pending" until it ends, then how it ended, for good. */
  readonly state: "pending" | RequestEnd;
};

type Mutable<T> = { -readonly [K in keyof ChatRequest<T>]: ChatRequest<T>[K] };

/** The bounds of a book, and where each incoming request comes from. */
export type RequestBookOptions<T> = {
  /** Incoming requests waiting at once. */
  maxIncoming: number;
  /** Incoming requests waiting at once from one source (0: no cap). */
  perSource: number;
  /** How long a request waits. */
  ttlMs: number;
  /** The source an incoming request counts against (an address block, say). */
  sourceOf: (detail: T) => string;
};

/** What booking an incoming request did: the request, and any it replaced or pushed out. */
export type Booked<T> =
  | { request: ChatRequest<T>; superseded?: ChatRequest<T>; evicted?: ChatRequest<T> }
  | { busy: true };

/** Pending requests, both ways, and how each ended. */
export class RequestBook<T> {
  readonly #o: RequestBookOptions<T>;
  readonly #pending = new Map<number, Mutable<T>>();
  #nextId = 1;

  /** A book with the bounds of `options`. */
  constructor(options: RequestBookOptions<T>) {
    this.#o = options;
  }

  /**
   * Someone asks to chat. A pending request from the same name is superseded
   * (returned, for the shell to hang up). Otherwise the request is refused
   * as busy (nothing recorded) when its source has `perSource` pending, and
   * when the book is full, unless the busiest source holds at least two more
   * than this one's: then that source's oldest request is evicted (returned)
   * to make room, so that many names from one place cannot lock out others.
   */
  incoming(name: Name, detail: T, now: number): Booked<T> {
    const previous = this.find("incoming", name);
    if (previous) {
      const superseded = this.end(previous.id, "superseded")!;
      return { request: this.#add("incoming", name, detail, now), superseded };
    }
    const source = this.#o.sourceOf(detail);
    const bySource = new Map<string, Mutable<T>[]>();
    for (const request of this.#pending.values()) {
      if (request.direction !== "incoming") continue;
      const from = this.#o.sourceOf(request.detail);
      bySource.set(from, [...bySource.get(from) ?? [], request]);
    }
    const held = bySource.get(source)?.length ?? 0;
    if (this.#o.perSource > 0 && held >= this.#o.perSource) return { busy: true };
    let evicted: ChatRequest<T> | undefined;
    if (this.#count("incoming") >= this.#o.maxIncoming) {
      const busiest = [...bySource.values()].reduce((a, b) => b.length > a.length ? b : a, []);
      if (busiest.length < held + 2) return { busy: true };
      evicted = this.end(busiest[0].id, "evicted");
    }
    const request = this.#add("incoming", name, detail, now);
    return evicted ? { request, evicted } : { request };
  }

  /** We ask someone to chat; refused while a request to them is pending. */
  outgoing(
    name: Name,
    detail: T,
    now: number,
  ): { request: ChatRequest<T> } | { already: ChatRequest<T> } {
    const already = this.find("outgoing", name);
    if (already) return { already };
    return { request: this.#add("outgoing", name, detail, now) };
  }

  /** The pending request `direction` with `name`, if any. */
  find(direction: RequestDirection, name: Name): ChatRequest<T> | undefined {
    const peer = nameKey(name);
    for (const request of this.#pending.values()) {
      if (request.direction === direction && request.peer === peer) return request;
    }
    return undefined;
  }

  /** The pending request `id`, if it is still pending. */
  get(id: number): ChatRequest<T> | undefined {
    return this.#pending.get(id);
  }

  /** Replaces what the shell keeps with the pending request `id`; false once it has ended. */
  attach(id: number, detail: T): boolean {
    const request = this.#pending.get(id);
    if (request) request.detail = detail;
    return request !== undefined;
  }

  /** Ends a pending request as `how`; returns it, or undefined if it had ended already. */
  end(id: number, how: RequestEnd): ChatRequest<T> | undefined {
    const request = this.#pending.get(id);
    if (!request) return undefined;
    this.#pending.delete(id);
    request.state = how;
    return request;
  }

  /** Ends every request whose time is up at `now` as expired; returns them. */
  expire(now: number): ChatRequest<T>[] {
    return [...this.#pending.values()]
      .filter((request) => request.expires <= now)
      .map((request) => this.end(request.id, "expired")!);
  }

  /** Pending requests, oldest first. */
  pending(): ChatRequest<T>[] {
    return [...this.#pending.values()];
  }

  /** When the next pending request expires, if any. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const request of this.#pending.values()) {
      if (next === undefined || request.expires < next) next = request.expires;
    }
    return next;
  }

  #count(direction: RequestDirection): number {
    let n = 0;
    for (const request of this.#pending.values()) if (request.direction === direction) n++;
    return n;
  }

  #add(direction: RequestDirection, name: Name, detail: T, now: number): ChatRequest<T> {
    const request: Mutable<T> = {
      id: this.#nextId++,
      direction,
      peer: nameKey(name),
      name,
      expires: now + this.#o.ttlMs,
      detail,
      state: "pending",
    };
    this.#pending.set(request.id, request);
    return request;
  }
}
