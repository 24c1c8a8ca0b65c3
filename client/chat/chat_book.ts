/**
 * The chat book, without I/O: the open chats, the requests both ways, the
 * conversation a plain line goes to, and the peer who left it, to whom lines
 * go as offline mail until a chat opens. Commands and what the shell learnt
 * (a peer admitted, reached or answering, a chat's state, a timer) come in
 * as events; what to do comes out as actions (say this to that peer, open
 * this chat, show this event, send or mail this line, re-arm the one expiry
 * timer). Time comes in with the events; the connections are the shell's,
 * carried opaquely as each request's `link` (book_events.ts has the words
 * it speaks in).
 *
 * @module
 */
import { type Name, type NameKey, nameKey } from "../../protocol/mod.ts";
import type { ClientEvent, ClosedBy } from "../core/mod.ts";
import type { DeclineReason } from "./peer_messages.ts";
import { type ChatRequest, REQUEST_TIMEOUT_MS, RequestBook } from "./requests.ts";
import {
  type BookAction,
  type BookEvent,
  type BookOptions,
  type BookView,
  chatOpenEvent,
  declinedEvent,
  fail,
  MAX_PENDING_PER_SOURCE,
  MAX_PENDING_REQUESTS,
  type RequestInfo,
  requestNotice,
} from "./book_events.ts";

/** An open chat as the book knows it. */
type Entry = { readonly id: number; readonly name: Name; closing: boolean };

/** The chat book of one client. */
export class ChatBook<L> {
  readonly #o: BookOptions;
  readonly #requests = new RequestBook<RequestInfo<L>>({
    maxIncoming: MAX_PENDING_REQUESTS,
    perSource: MAX_PENDING_PER_SOURCE,
    ttlMs: REQUEST_TIMEOUT_MS,
    sourceOf: (info) => info.source ?? "",
  });
  readonly #chats = new Map<NameKey, Entry>();
  readonly #seen = new Set<string>();
  #state: "running" | "quitting" = "running";
  #current: NameKey | undefined;
  /** The peer who left the current chat: plain lines go to them as mail until a chat opens. */
  #mailTo: Name | undefined;
  #nextChat = 1;

  /** A book for the client described by `options`. */
  constructor(options: BookOptions) {
    this.#o = options;
  }

  /** Where a plain line goes now, for the prompt. */
  get view(): BookView {
    const chat = this.#current === undefined ? undefined : this.#chats.get(this.#current);
    if (chat) return { self: this.#o.self, chat: chat.name };
    return this.#mailTo ? { self: this.#o.self, mail: this.#mailTo } : { self: this.#o.self };
  }

  /** Names worth completing: online users seen, chats, requests. */
  get knownNames(): string[] {
    return [
      ...new Set([
        ...this.#seen,
        ...[...this.#chats.values()].map((c) => c.name),
        ...this.#requests.pending().map((r) => r.name),
      ]),
    ];
  }

  /** Whether the user has quit. */
  get quitting(): boolean {
    return this.#state === "quitting";
  }

  /** Takes one event; returns what to do, in order. */
  handle(event: BookEvent<L>): BookAction<L>[] {
    switch (event.type) {
      case "say":
        return this.#say(event.text);
      case "msg": {
        if (this.#isSelf(event.name)) return [this.#selfFail(event.name, "/msg")];
        const open = this.#chats.get(nameKey(event.name));
        if (open && !open.closing) return [{ type: "send", chat: open.id, text: event.text }];
        return [{ type: "mail", to: event.name, text: event.text, unlessOnline: true }];
      }
      case "chat":
        return this.#chat(event.name, event.now);
      case "accept":
        return this.#accept(event.name);
      case "decline": {
        const request = this.#requests.find("incoming", event.name);
        if (!request) return [this.#noRequest(event.name)];
        return this.#decline(request);
      }
      case "eom": {
        const open = this.#current === undefined ? undefined : this.#chats.get(this.#current);
        if (!open) return [fail({ code: "bad-command", problem: "no-chat" })];
        // The prompt stops naming it at once, before the peer has answered.
        this.#current = undefined;
        return [{ type: "end", chat: open.id }];
      }
      case "chats":
        return [{ type: "show", event: this.#listing() }];
      case "quit":
        return this.#quit();
      case "incoming":
        return this.#incoming(event.name, event.info, event.now);
      case "watch-ended": {
        const request = this.#requests.end(event.request, "cancelled");
        if (!request) return []; // Answered already.
        return [
          ...this.#abort(request),
          { type: "show", event: requestNotice("request-cancelled", request.name) },
          this.#timer(),
        ];
      }
      case "reached":
        return this.#reached(event.request, event.info);
      case "answered":
        return this.#answered(event.request, event.answer);
      case "dial-failed": {
        const request = this.#requests.end(event.request, "cancelled");
        return request ? [...this.#abort(request), this.#timer()] : [];
      }
      case "chat-closing": {
        const entry = this.#entry(event.chat);
        if (entry) entry.closing = true;
        return [];
      }
      case "chat-over":
        this.#over(event.chat, event.by);
        return [];
      case "tick":
        return this.#expire(event.now);
      case "seen":
        for (const name of event.names) this.#seen.add(name);
        return [];
    }
  }

  #say(text: string): BookAction<L>[] {
    const open = this.#current === undefined ? undefined : this.#chats.get(this.#current);
    if (open) return [{ type: "send", chat: open.id, text }];
    // The peer who left: the line goes as mail, online or not, until a chat opens.
    if (this.#mailTo) return [{ type: "mail", to: this.#mailTo, text, unlessOnline: false }];
    return [fail({ code: "bad-command", problem: "no-chat" })];
  }

  #chat(name: Name, now: number): BookAction<L>[] {
    if (this.#isSelf(name)) return [this.#selfFail(name, "/chat")];
    const key = nameKey(name);
    const open = this.#chats.get(key);
    if (open && !open.closing) {
      this.#current = key;
      return [{ type: "show", event: { type: "current", peer: open.name } }];
    }
    if (this.#requests.find("incoming", name)) return this.#accept(name);
    const booked = this.#requests.outgoing(
      name,
      { fingerprint: "", known: "new", path: "direct" },
      now,
    );
    if ("already" in booked) {
      return [{
        type: "fail",
        problem: { code: "bad-command", problem: "already-asking", peer: name },
      }];
    }
    return [{ type: "dial", request: booked.request.id, name }, this.#timer()];
  }

  #accept(name: Name): BookAction<L>[] {
    const request = this.#requests.find("incoming", name);
    if (!request || !this.#requests.end(request.id, "accepted")) return [this.#noRequest(name)];
    const { link } = request.detail;
    return [
      { type: "say", link: link!, message: { type: "accept" } },
      ...this.#open(request.name, request.detail),
      this.#timer(),
    ];
  }

  #decline(request: ChatRequest<RequestInfo<L>>): BookAction<L>[] {
    if (!this.#requests.end(request.id, "declined")) return [];
    return [
      decline(request.detail.link!, "user"),
      {
        type: "show",
        event: declinedEvent(request.name, "you", "user"),
      },
      this.#timer(),
    ];
  }

  #incoming(name: Name, info: RequestInfo<L>, now: number): BookAction<L>[] {
    const busy = (link: L): BookAction<L> => decline(link, "busy");
    if (this.#state === "quitting") return [busy(info.link!)];
    const booked = this.#requests.incoming(name, info, now);
    if ("busy" in booked) return [busy(info.link!)];
    const actions: BookAction<L>[] = [];
    if (booked.superseded) actions.push(...this.#abort(booked.superseded));
    if (booked.evicted) {
      // Pushed out by a request from a quieter source: that peer hears busy, as if it had come late.
      actions.push(busy(booked.evicted.detail.link!), {
        type: "show",
        event: requestNotice("request-evicted", booked.evicted.name),
      });
    }
    const request = booked.request;
    this.#seen.add(name);
    actions.push(
      this.#timer(),
      // Anything the initiator sends before our answer, or its hanging up, cancels the request.
      { type: "watch", request: request.id, link: info.link! },
      {
        type: "show",
        event: {
          type: "chat-request",
          peer: name,
          fingerprint: info.fingerprint,
          known: info.known,
          path: info.path,
        },
      },
    );
    if (this.#o.autoAccept) actions.push(...this.#accept(name));
    return actions;
  }

  #reached(id: number, info: RequestInfo<L>): BookAction<L>[] {
    const request = this.#requests.get(id);
    if (!request || request.direction !== "outgoing" || !this.#requests.attach(id, info)) {
      return info.link === undefined ? [] : [{ type: "abort", link: info.link }]; // Cancelled meanwhile.
    }
    return [
      // Said on the winning path only, so the peer sees one request.
      {
        type: "say",
        link: info.link!,
        message: { type: "hello", name: this.#o.self, chat: info.chatId },
      },
      {
        type: "show",
        event: {
          type: "notice",
          notice: { code: "request-sent", peer: info.name ?? request.name, path: info.path },
        },
      },
      { type: "await-answer", request: id, link: info.link! },
    ];
  }

  #answered(id: number, answer: "accept" | DeclineReason): BookAction<L>[] {
    const pending = this.#requests.get(id);
    if (!pending) return [];
    const request = this.#requests.end(id, answer === "accept" ? "accepted" : "declined")!;
    const name = request.detail.name ?? request.name;
    if (answer === "accept") return [...this.#open(name, request.detail), this.#timer()];
    return [
      ...this.#abort(request),
      {
        type: "show",
        event: declinedEvent(name, "peer", answer),
      },
      this.#timer(),
    ];
  }

  /** A chat opens: it becomes the current one, and replaces one with the same person still closing. */
  #open(name: Name, info: RequestInfo<L>): BookAction<L>[] {
    const key = nameKey(name);
    const previous = this.#chats.get(key);
    const id = this.#nextChat++;
    this.#chats.set(key, { id, name, closing: false });
    this.#current = key;
    this.#mailTo = undefined;
    return [
      { type: "open", chat: id, name, info },
      ...(previous ? [{ type: "end", chat: previous.id } as const] : []),
      { type: "show", event: chatOpenEvent(name, info) },
    ];
  }

  #over(id: number, by: ClosedBy): void {
    const entry = this.#entry(id);
    if (!entry) return; // Replaced by a newer chat with the same person.
    const key = nameKey(entry.name);
    this.#chats.delete(key);
    if (this.#current !== key) return;
    this.#current = [...this.#chats.keys()].at(-1);
    // The peer left the conversation: what is typed next goes to them as mail.
    this.#mailTo = this.#current === undefined && by !== "you" && this.#o.mail
      ? entry.name
      : undefined;
  }

  #expire(now: number): BookAction<L>[] {
    const actions: BookAction<L>[] = [];
    for (const request of this.#requests.expire(now)) {
      if (request.direction === "incoming") {
        actions.push(
          decline(request.detail.link!, "timeout"),
          { type: "show", event: requestNotice("request-expired", request.name) },
        );
      } else {
        actions.push(...this.#abort(request), {
          type: "show",
          event: declinedEvent(request.detail.name ?? request.name, "peer", "timeout"),
        });
      }
    }
    return [...actions, this.#timer()];
  }

  #quit(): BookAction<L>[] {
    this.#state = "quitting";
    const actions: BookAction<L>[] = [];
    for (const request of this.#requests.pending()) {
      if (request.direction === "incoming") actions.push(...this.#decline(request));
      else if (this.#requests.end(request.id, "cancelled")) actions.push(...this.#abort(request));
    }
    for (const entry of this.#chats.values()) actions.push({ type: "end", chat: entry.id });
    return [...actions, { type: "timer", at: undefined }];
  }

  #listing(): ClientEvent {
    return {
      type: "chats",
      chats: [
        ...[...this.#chats.entries()].map(([key, c]) => ({
          peer: c.name,
          state: "open" as const,
          current: key === this.#current,
          verified: this.#o.reads.verified(c.name),
          path: this.#o.reads.pathOf(c.id),
        })),
        ...this.#requests.pending().map((r) => ({
          peer: r.detail.name ?? r.name,
          state: r.direction === "incoming" ? "incoming" as const : "requested" as const,
          current: false,
          verified: r.detail.known === "verified",
        })),
      ],
    };
  }

  #entry(id: number): Entry | undefined {
    for (const entry of this.#chats.values()) if (entry.id === id) return entry;
    return undefined;
  }

  #abort(request: ChatRequest<RequestInfo<L>>): BookAction<L>[] {
    return request.detail.link === undefined ? [] : [{ type: "abort", link: request.detail.link }];
  }

  #timer(): BookAction<L> {
    return {
      type: "timer",
      at: this.#state === "quitting" ? undefined : this.#requests.nextExpiry(),
    };
  }

  #isSelf(name: Name): boolean {
    return nameKey(name) === nameKey(this.#o.self);
  }

  #selfFail(name: Name, command: string): BookAction<L> {
    return fail({ code: "self", problem: "self", name, command });
  }

  #noRequest(name: Name): BookAction<L> {
    return fail({ code: "bad-command", problem: "no-request", peer: name });
  }
}

/** Declines on `link` for `reason` and closes it. */
function decline<L>(link: L, reason: DeclineReason): BookAction<L> {
  return { type: "say", link, message: { type: "decline", reason }, close: true };
}
