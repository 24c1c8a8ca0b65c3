/**
 * The chat-request lifecycle, without I/O: every request, incoming or
 * outgoing, is pending until it ends in exactly one of accepted, declined,
 * expired, superseded (a newer request from the same person replaced it) or
 * cancelled (the other side hung up, or we quit). Time is passed in; the
 * shell keeps one timer for `nextExpiry()`.
 *
 * @module
 */
import { type Name, type NameKey, nameKey } from "../directory/mod.ts";

/** How a request ended. */
export type RequestEnd = "accepted" | "declined" | "expired" | "superseded" | "cancelled";

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

/** Pending requests, both ways, and how each ended. */
export class RequestBook<T> {
  readonly #maxIncoming: number;
  readonly #ttlMs: number;
  readonly #pending = new Map<number, Mutable<T>>();
  #nextId = 1;

  /** At most `maxIncoming` incoming requests wait at once; each waits `ttlMs`. */
  constructor(options: { maxIncoming: number; ttlMs: number }) {
    this.#maxIncoming = options.maxIncoming;
    this.#ttlMs = options.ttlMs;
  }

  /**
   * Someone asks to chat. A pending request from the same name is superseded
   * (returned, for the shell to hang up); past the bound the new one is
   * refused as busy and nothing is recorded.
   */
  incoming(
    name: Name,
    detail: T,
    now: number,
  ): { request: ChatRequest<T>; superseded?: ChatRequest<T> } | { busy: true } {
    const previous = this.find("incoming", name);
    if (!previous && this.#count("incoming") >= this.#maxIncoming) return { busy: true };
    const superseded = previous ? this.end(previous.id, "superseded") : undefined;
    const request = this.#add("incoming", name, detail, now);
    return superseded ? { request, superseded } : { request };
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
      expires: now + this.#ttlMs,
      detail,
      state: "pending",
    };
    this.#pending.set(request.id, request);
    return request;
  }
}
