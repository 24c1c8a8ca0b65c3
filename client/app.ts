/**
 * The chat client's shell: it wires the pure core (the request book,
 * admission, the directory checks, each chat's ledger) to the directory
 * link, peer connections and the interface. Commands come in as lines;
 * everything that happens goes out as typed events, with codes and data
 * only: the words are the interface's.
 *
 * @module
 */
import { Deadline } from "../async/mod.ts";
import { sourceBlock } from "../admission/mod.ts";
import {
  acceptChannel,
  connTransport,
  type Fingerprint,
  type Identity,
  type SecureChannel,
  type Transport,
  UnexpectedPeerKey,
} from "../crypto/mod.ts";
import {
  DirectoryError,
  DirectoryUnavailableError,
  type Name,
  type NameKey,
  nameKey,
  parseName,
  type UserEntry,
} from "../protocol/mod.ts";
import { joinRelay } from "./directory/mod.ts";
import { CodedError, errorCode, errorMessage } from "../errors/mod.ts";
import { admitListed, admitProven, type Refusal } from "./chat/mod.ts";
import { Chat } from "./chat/mod.ts";
import { type ChatCommand, COMMAND_HELP, parseCommand } from "./core/mod.ts";
import type { RelayMode } from "./connect_options.ts";
import { type CheckedUser, checkUser, checkUsers, type Inconsistency } from "./trust/mod.ts";
import type { DirectoryLink } from "./directory/mod.ts";
import { CommandError, PeerProtocolError } from "./core/mod.ts";
import type { ClientEvent, EventSink, KeyStatus, ListedUser, Path } from "./core/mod.ts";
import { type GateTicket, IncomingGate, PEER_ADMISSION_MS } from "./chat/mod.ts";
import { decodePeerMessage, encodePeerMessage, type PeerMessage, randomId } from "./chat/mod.ts";
import { reachPeer, receiveWithin, REQUEST_TIMEOUT_MS, say } from "./chat/mod.ts";
import type { MailRoom } from "./mail/mod.ts";
import { PathUpgrader } from "./chat/mod.ts";
import type { PeerTrust } from "./trust/mod.ts";
import { type ChatRequest, RequestBook } from "./chat/mod.ts";

/** Incoming requests waiting for /accept or /decline at once; more are declined as busy. */
export const MAX_PENDING_REQUESTS = 16;
/** Incoming requests waiting at once from one source (an address, or an IPv6 /64). */
export const MAX_PENDING_PER_SOURCE = 4;
/** How many users `/list` asks for. */
const LIST_LIMIT = 200;
/** How long a failed direct attempt to a peer behind a NAT sends the next chat to the relay at once. */
export const DIRECT_FAILURE_MEMORY_MS = 10 * 60_000;

const PRIVATE_ADDRESS = [
  /^10\./,
  /^172\.(1[6-9]|2\d|3[01])\./,
  /^192\.168\./,
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./, // carrier-grade NAT (RFC 6598)
  /^f[cd][0-9a-f]{2}:/i,
  /^fe80:/i,
];

/**
 * Whether the directory's view says `user` sits behind a NAT: every address
 * it announced is private, and none is the address the directory sees.
 */
export function behindNat(user: CheckedUser): boolean {
  const announced = user.addresses.filter((a) => a !== user.address);
  return announced.length > 0 && !announced.includes(user.address) &&
    announced.every((a) => PRIVATE_ADDRESS.some((range) => range.test(a)));
}

/** What the app needs. */
export type AppOptions = {
  name: Name;
  identity: Identity;
  link: DirectoryLink;
  trust: PeerTrust;
  sink: EventSink;
  autoAccept: boolean;
  relay: RelayMode;
  /** Offline mail; without it, messages to people who are away are refused. */
  mail?: MailRoom;
  clock?: () => number;
};

/** A peer connection that passed admission: who it is and what it sent with its hello. */
type Admitted = {
  name: Name;
  channel: SecureChannel;
  fingerprint: Fingerprint;
  known: KeyStatus;
  chatId?: string;
  /** Where the request counts against the per-source bound: the address block it came from. */
  source: string;
};

/** How an incoming connection came: its path, its place at the gate, the relay offer if any. */
type Arrival = {
  path: Path;
  ticket: GateTicket;
  /** The source network of a direct connection. */
  source?: string;
  offer?: { from: string; token: string };
};

/** What the shell keeps with a request while it waits. */
type RequestDetail = {
  channel?: SecureChannel;
  fingerprint: Fingerprint;
  known: KeyStatus;
  path: Path;
  /** Incoming: the receive that watches the request (and becomes the chat's first read). */
  firstRead?: Promise<Uint8Array | null>;
  /** The id both ends give the chat (to move it later), if the peer sent one. */
  chatId?: string;
  /** The relay token, when the request came through the relay. */
  relayToken?: string;
  /** Incoming: the source it counts against (MAX_PENDING_PER_SOURCE). */
  source?: string;
};

/** The client. */
export class ChatApp {
  readonly #o: AppOptions;
  readonly #clock: () => number;
  readonly #chats = new Map<NameKey, Chat>();
  readonly #requests = new RequestBook<RequestDetail>({
    maxIncoming: MAX_PENDING_REQUESTS,
    perSource: MAX_PENDING_PER_SOURCE,
    ttlMs: REQUEST_TIMEOUT_MS,
    sourceOf: (detail) => detail.source ?? "",
  });
  readonly #gate = new IncomingGate();
  readonly #seenNames = new Set<string>();
  readonly #done = Promise.withResolvers<void>();
  readonly #upgrader: PathUpgrader;
  /** When a direct attempt to a peer last lost to the relay. */
  readonly #directFailed = new Map<NameKey, number>();
  #current: NameKey | undefined;
  /** The peer of the current chat that ended by their leaving: lines typed now go to them as mail. */
  #gone: Name | undefined;
  #expiry: ReturnType<typeof setTimeout> | undefined;
  #quitting: Promise<void> | undefined;

  constructor(options: AppOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
    this.#upgrader = new PathUpgrader({
      moves: options.relay === "auto",
      identity: options.identity,
      ownName: options.name,
      lookup: (name) => this.#lookup(name).catch(() => undefined),
      reportUpgrade: (token) => void options.link.relayUpgraded(token).catch(() => {}),
    });
  }

  /** Resolves once the user has quit and every chat has ended. */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  /** The prompt: who you are and which chat a plain line goes to. */
  get prompt(): string {
    const chat = this.#current ? this.#chats.get(this.#current) : undefined;
    if (chat) return `${this.#o.name}→${chat.peer.name}> `;
    return this.#gone ? `${this.#o.name}→${this.#gone} (offline)> ` : `${this.#o.name}> `;
  }

  /** Names worth completing: online users seen, chats, requests. */
  get knownNames(): string[] {
    return [
      ...new Set([
        ...this.#seenNames,
        ...[...this.#chats.values()].map((c) => c.peer.name),
        ...this.#requests.pending().map((r) => r.name),
      ]),
    ];
  }

  /** Handles one line of input; failures become `error` events, never throws. */
  async handle(line: string): Promise<void> {
    try {
      await this.#run(parseCommand(line));
    } catch (error) {
      this.#reportError(error);
    }
  }

  /**
   * Accepts peer connections from `listener` until quit, each admitted at
   * the gate first (per source, in total, with eviction of the busiest).
   */
  async serve(listener: Deno.TcpListener): Promise<void> {
    for await (const conn of listener) {
      const address = conn.remoteAddr.hostname;
      const transport = connTransport(conn);
      const ticket = this.#quitting
        ? "quitting"
        : this.#gate.direct(address, () => transport.close());
      if (typeof ticket === "string") {
        transport.close();
        continue;
      }
      this.#answer(transport, { path: "direct", ticket, source: sourceBlock(address) })
        .catch((error) => this.#reportError(error, true));
    }
  }

  /**
   * A peer asked, through the directory, to meet at the relay (at `relay`,
   * another instance). Offers come from registered users, so they are
   * admitted apart from the listener's connections, per offering name.
   */
  acceptRelayOffer(offer: { from: string; token: string; relay?: string }): void {
    const at = this.#o.link.relayAt(offer.relay);
    if (!at || this.#quitting || this.#o.relay === "never") return;
    const stop = new AbortController();
    const ticket = this.#gate.relayed(offer.from.toLowerCase(), () => stop.abort());
    if (typeof ticket === "string") return;
    joinRelay(at, offer.token, stop.signal)
      .then((transport) => {
        stop.signal.addEventListener("abort", () => transport.close(), { once: true });
        return this.#answer(transport, { path: "relay", ticket, offer });
      }, (error) => {
        ticket.release();
        throw error;
      })
      .catch((error) => this.#reportError(error, true));
  }

  /** Ends every chat (EOM, waiting for acknowledgements on their way), answers every request, leaves. */
  quit(): Promise<void> {
    this.#quitting ??= (async () => {
      clearTimeout(this.#expiry);
      for (const request of this.#requests.pending()) {
        if (request.direction === "incoming") this.#decline(request, "user");
        else this.#cancelOutgoing(request);
      }
      await Promise.all([...this.#chats.values()].map((chat) => chat.end()));
      await this.#o.link.stop().catch(() => {});
      this.#done.resolve();
    })();
    return this.#quitting;
  }

  async #run(command: ChatCommand): Promise<void> {
    switch (command.kind) {
      case "empty":
        return;
      case "say":
        if (!this.#current && this.#gone) return await this.#message(this.#gone, command.text);
        return void this.#currentChat().send(command.text);
      case "msg":
        return await this.#message(parseName(command.name), command.text);
      case "mail":
        return await this.#needMail().waiting();
      case "eom":
        return await this.#endChat(this.#currentChat());
      case "list":
        return await this.#list(command.prefix);
      case "whois":
        return await this.#whois(parseName(command.name));
      case "chat":
        return await this.#startChat(parseName(command.name));
      case "accept":
        return this.#accept(parseName(command.name));
      case "decline": {
        const request = this.#requests.find("incoming", parseName(command.name));
        if (!request) throw this.#noRequest(command.name);
        return this.#decline(request, "user");
      }
      case "chats":
        return this.#listChats();
      case "fp":
        return this.#fingerprint(command.name === undefined ? undefined : parseName(command.name));
      case "verify": {
        const name = parseName(command.name);
        const pin = await this.#o.trust.verify(name);
        return this.#emit({ type: "verified", peer: name, fingerprint: pin.fingerprint });
      }
      case "trust": {
        const name = parseName(command.name);
        const fingerprint = await this.#o.trust.trust(name);
        return this.#emit({ type: "trusted", peer: name, fingerprint });
      }
      case "help":
        return this.#emit({
          type: "help",
          commands: COMMAND_HELP.map(([usage, description]) => ({ usage, description })),
        });
      case "quit":
        return await this.quit();
    }
  }

  #emit(event: ClientEvent): void {
    this.#o.sink.emit(event);
  }

  #currentChat(): Chat {
    const chat = this.#current ? this.#chats.get(this.#current) : undefined;
    if (!chat) {
      throw new CommandError(
        "No chat is open; start one with /chat NAME or accept one with /accept NAME",
      );
    }
    return chat;
  }

  /**
   * `/msg`: to the open chat with `name`; else, when `name` is not online,
   * sealed and left at the directory until they come back.
   */
  async #message(name: Name, text: string): Promise<void> {
    const chat = this.#chats.get(nameKey(name));
    if (chat && !chat.closing) return void chat.send(text);
    const online = await this.#o.link.lookup(name).then(() => true, (error) => {
      if (error instanceof DirectoryError && error.code === "not-found") return false;
      throw error;
    });
    if (online) {
      throw new CommandError(`${name} is online: open a chat with /chat ${name}`);
    }
    await this.#needMail().send(name, text);
  }

  #needMail(): MailRoom {
    if (!this.#o.mail) throw new CommandError("Offline messages are off in this client");
    return this.#o.mail;
  }

  /** Handles a sealed message the directory held for us. */
  receiveMail(mail: { id: number; sealed: string; stored: number }): void {
    this.#o.mail?.receive(mail);
  }

  #noRequest(name: string): CommandError {
    return new CommandError(`No chat request from ${name}; /chats lists them`);
  }

  async #endChat(chat: Chat): Promise<void> {
    // The prompt stops naming it at once, before the peer has answered.
    if (this.#current === chat.peer.key) this.#current = undefined;
    await chat.end();
  }

  // ---- the directory's word, checked ---------------------------------------------------------

  #warnInconsistent(asked: string, problem: Inconsistency): void {
    this.#emit({
      type: "security-warning",
      peer: asked,
      reason: "directory-inconsistent",
      expected: problem.computed,
      got: problem.listed,
      problem: problem.problem,
      named: problem.name,
    });
  }

  /** Looks `name` up and checks the answer; undefined (after a warning) when it does not hold up. */
  async #lookup(name: Name): Promise<CheckedUser | undefined> {
    return this.#checked(name, await this.#o.link.lookup(name));
  }

  /**
   * The directory's entry for `name`, checked: its own consistency, the
   * name asked, and that it does not pass off a key pinned for someone else.
   */
  #checked(name: Name, entry: UserEntry): CheckedUser | undefined {
    const checked = checkUser(entry, { name });
    if ("problem" in checked) {
      this.#warnInconsistent(name, checked);
      return undefined;
    }
    const others = this.#o.trust.pinnedUnderOtherNames(checked.name, checked.fingerprint);
    if (others.length > 0) {
      this.#o.trust.noteChanged(checked.name, checked.fingerprint);
      this.#warnInconsistent(name, {
        problem: "key-of-another",
        asked: name,
        name: others[0],
        listed: checked.fingerprint,
        computed: checked.fingerprint,
      });
      return undefined;
    }
    return checked;
  }

  #listed(user: CheckedUser): ListedUser {
    this.#seenNames.add(user.name);
    return {
      name: user.name,
      address: user.address,
      port: user.port,
      fingerprint: user.fingerprint,
      verified: this.#o.trust.isVerified(user.name, user.fingerprint),
      self: user.peer === nameKey(this.#o.name),
    };
  }

  async #list(prefix?: string): Promise<void> {
    const { users, more } = await this.#o.link.list({ prefix, limit: LIST_LIMIT });
    const checked = checkUsers(users, prefix);
    for (const problem of checked.inconsistencies) this.#warnInconsistent(prefix ?? "", problem);
    this.#emit({ type: "users", users: checked.users.map((u) => this.#listed(u)), more });
  }

  async #whois(name: Name): Promise<void> {
    const user = await this.#lookup(name);
    if (user) this.#emit({ type: "users", users: [this.#listed(user)], more: false });
  }

  #refuse(name: Name, decision: Refusal): void {
    this.#emit(this.#o.trust.refused(name, decision));
  }

  // ---- outgoing ------------------------------------------------------------------------------

  async #startChat(asked: Name): Promise<void> {
    const key = nameKey(asked);
    const open = this.#chats.get(key);
    if (open && !open.closing) {
      this.#current = key;
      return this.#emit({ type: "current", peer: open.peer.name });
    }
    if (this.#requests.find("incoming", asked)) return this.#accept(asked);
    const booked = this.#requests.outgoing(asked, {
      fingerprint: "" as Fingerprint,
      known: "new",
      path: "direct",
    }, this.#clock());
    if ("already" in booked) {
      throw new CommandError(`Already asking ${asked} to chat; wait for their answer`);
    }
    const request = booked.request;
    this.#scheduleExpiry();
    try {
      const user = await this.#lookup(asked);
      if (!user) return;
      const admission = admitListed(this.#o.trust.pin(user.name), user.fingerprint);
      if (!admission.admit) return this.#refuse(user.name, admission);
      let opened: Awaited<ReturnType<typeof reachPeer>>;
      const failed = this.#directFailed.get(user.peer);
      try {
        opened = await reachPeer(user, {
          identity: this.#o.identity,
          relay: this.#o.relay,
          link: this.#o.link,
          relayAtOnce: behindNat(user) && failed !== undefined &&
            this.#clock() - failed < DIRECT_FAILURE_MEMORY_MS,
          onRelay: () =>
            this.#emit({ type: "notice", notice: { code: "relay-fallback", peer: user.name } }),
        });
      } catch (error) {
        if (!(error instanceof UnexpectedPeerKey)) throw error;
        return this.#refuse(user.name, {
          admit: false,
          reason: "unexpected-key",
          expected: user.fingerprint,
          got: error.got.replaceAll(" ", "") as Fingerprint,
        });
      }
      const { channel, path, relayToken } = opened;
      if (path === "relay") this.#directFailed.set(user.peer, this.#clock());
      else this.#directFailed.delete(user.peer);
      const chatId = randomId();
      Object.assign(request.detail, { channel, fingerprint: user.fingerprint, path });
      if (request.state !== "pending") return channel.abort(); // cancelled (quit) meanwhile
      // Said on the winning path only, so the peer sees one request.
      await say(channel, { type: "hello", name: this.#o.name, chat: chatId });
      this.#emit({ type: "notice", notice: { code: "request-sent", peer: user.name, path } });
      const answer = await receiveWithin(channel, REQUEST_TIMEOUT_MS, "answer").catch(() => null);
      if (request.state !== "pending") return channel.abort();
      if (answer?.type !== "accept") {
        this.#requests.end(request.id, "declined");
        channel.abort();
        return this.#emit({
          type: "chat-closed",
          peer: user.name,
          reason: "declined",
          by: "peer",
          detail: answer?.type === "decline" ? answer.reason : "timeout",
        });
      }
      this.#requests.end(request.id, "accepted");
      await this.#open(user.name, channel, admission.status, path, {
        id: chatId,
        relayToken,
      });
    } finally {
      // Any way out but an answer (a refusal, an error) ends the request too.
      if (request.state === "pending") this.#requests.end(request.id, "cancelled");
    }
  }

  #cancelOutgoing(request: ChatRequest<RequestDetail>): void {
    this.#requests.end(request.id, "cancelled");
    request.detail.channel?.abort();
  }

  // ---- incoming ------------------------------------------------------------------------------

  /**
   * Admits a peer connection: handshake, hello, the directory's word for the
   * name it claims and our pin. The connection holds its place at the gate
   * until it is shown as a request or refused.
   */
  async #answer(transport: Transport, arrival: Arrival): Promise<void> {
    const { path, offer } = arrival;
    let admitted: Admitted;
    try {
      const found = await this.#admit(transport, arrival);
      if (!found) return;
      admitted = found;
    } finally {
      arrival.ticket.release();
    }
    const { name, channel, fingerprint, known, chatId, source } = admitted;
    if (this.#quitting) return void this.#send(channel, { type: "decline", reason: "busy" }, true);
    const firstRead = channel.receive();
    const booked = this.#requests.incoming(
      name,
      { channel, fingerprint, known, path, firstRead, chatId, relayToken: offer?.token, source },
      this.#clock(),
    );
    if ("busy" in booked) {
      return void this.#send(channel, { type: "decline", reason: "busy" }, true);
    }
    if (booked.superseded) booked.superseded.detail.channel?.abort();
    if (booked.evicted) {
      // Pushed out by a request from a quieter source: that peer hears busy, as if it had come late.
      this.#send(booked.evicted.detail.channel!, { type: "decline", reason: "busy" }, true);
      this.#emit({
        type: "notice",
        notice: { code: "request-evicted", peer: booked.evicted.name },
      });
    }
    const request = booked.request;
    this.#scheduleExpiry();
    // Anything the initiator sends before our answer, or its hanging up, cancels the request.
    firstRead.then(
      () => this.#requestCancelled(request),
      () => this.#requestCancelled(request),
    );
    this.#seenNames.add(name);
    this.#emit({ type: "chat-request", peer: name, fingerprint, known, path });
    if (this.#o.autoAccept) this.#accept(name);
  }

  async #admit(transport: Transport, arrival: Arrival): Promise<Admitted | undefined> {
    const offeredBy = arrival.offer?.from;
    let channel: SecureChannel;
    let hello: PeerMessage | null;
    {
      // One bound from the first byte to the hello: a connection that never speaks gives its
      // place at the gate back within PEER_ADMISSION_MS.
      using deadline = Deadline.after(PEER_ADMISSION_MS, () => new Error("admission timed out"));
      try {
        channel = await acceptChannel(transport, this.#o.identity, {
          signal: deadline.signal,
          handshakeTimeoutMs: PEER_ADMISSION_MS,
        });
      } catch {
        return undefined; // Not a p2pchat peer, or an attack: nothing to tell the user.
      }
      hello = await channel.receive(deadline.signal).then(
        (bytes) => bytes === null ? null : decodePeerMessage(bytes),
        () => null,
      ).catch(() => null);
    }
    if (hello?.type === "resume" && offeredBy === undefined) {
      // A direct connection that is to carry an open relayed chat: the chat's key decides.
      const chat = this.#chats.get(nameKey(hello.name as Name));
      this.#upgrader.resume(chat, channel, hello);
      return undefined;
    }
    let claimed: Name;
    try {
      if (hello?.type !== "hello") throw new PeerProtocolError("no hello");
      claimed = parseName(hello.name);
    } catch {
      channel.abort();
      return undefined;
    }
    const proven = channel.peer.fingerprint;
    const refuse = (): undefined => {
      this.#send(channel, { type: "decline", reason: "security" }, true);
      return undefined;
    };
    if (offeredBy !== undefined && offeredBy.toLowerCase() !== nameKey(claimed)) {
      this.#emit({
        type: "security-warning",
        peer: claimed,
        reason: "relay-mismatch",
        expected: "",
        got: proven,
        named: offeredBy,
      });
      return refuse();
    }
    let user: CheckedUser | undefined;
    try {
      user = this.#checked(claimed, await this.#o.link.lookup(claimed));
      if (!user) return refuse();
    } catch (error) {
      // Unlisted, or the directory is away: only a pin can vouch for the peer then.
      if (!(error instanceof DirectoryError) && !(error instanceof DirectoryUnavailableError)) {
        throw error;
      }
    }
    // One name from here on: the directory's spelling of the name checked, else the claim.
    const name = user?.name ?? claimed;
    const decision = admitProven("responder", this.#o.trust.pin(name), user?.fingerprint, proven);
    if (!decision.admit) {
      this.#refuse(name, decision);
      return refuse();
    }
    // A relayed request counts against the address the directory sees its sender at.
    const source = arrival.source ??
      (user ? sourceBlock(user.address) : `relay:${nameKey(name)}`);
    return {
      name,
      channel,
      fingerprint: proven,
      known: decision.status,
      chatId: hello.chat,
      source,
    };
  }

  #requestCancelled(request: ChatRequest<RequestDetail>): void {
    if (!this.#requests.end(request.id, "cancelled")) return; // Answered already.
    request.detail.channel?.abort();
    this.#emit({ type: "notice", notice: { code: "request-cancelled", peer: request.name } });
  }

  #accept(name: Name): void {
    const request = this.#requests.find("incoming", name);
    if (!request || !this.#requests.end(request.id, "accepted")) throw this.#noRequest(name);
    const { channel, known, path, firstRead, chatId, relayToken } = request.detail;
    this.#send(channel!, { type: "accept" });
    this.#open(request.name, channel!, known, path, { firstRead, id: chatId, relayToken });
  }

  #decline(request: ChatRequest<RequestDetail>, detail: "user" | "timeout"): void {
    if (!this.#requests.end(request.id, detail === "timeout" ? "expired" : "declined")) return;
    this.#send(request.detail.channel!, { type: "decline", reason: detail }, true);
    this.#emit(
      detail === "timeout"
        ? { type: "notice", notice: { code: "request-expired", peer: request.name } }
        : { type: "chat-closed", peer: request.name, reason: "declined", by: "you", detail },
    );
  }

  /** Sends a peer message; with `close`, then closes the channel. */
  #send(channel: SecureChannel, message: PeerMessage, close = false): void {
    const sent = channel.send(encodePeerMessage(message)).catch(() => {});
    if (close) sent.finally(() => channel.close());
  }

  #scheduleExpiry(): void {
    clearTimeout(this.#expiry);
    const next = this.#requests.nextExpiry();
    if (next === undefined || this.#quitting) return;
    this.#expiry = setTimeout(() => {
      for (const request of this.#requests.expire(this.#clock())) {
        if (request.direction === "incoming") {
          // Ended by expire(); tell the peer and the user.
          this.#send(request.detail.channel!, { type: "decline", reason: "timeout" }, true);
          this.#emit({ type: "notice", notice: { code: "request-expired", peer: request.name } });
        } else {
          request.detail.channel?.abort();
        }
      }
      this.#scheduleExpiry();
    }, Math.max(0, next - this.#clock()));
  }

  // ---- open chats ----------------------------------------------------------------------------

  async #open(
    name: Name,
    channel: SecureChannel,
    status: KeyStatus,
    path: Path,
    more: { firstRead?: Promise<Uint8Array | null>; id?: string; relayToken?: string } = {},
  ): Promise<void> {
    const key = nameKey(name);
    const fingerprint = channel.peer.fingerprint;
    if (status === "new") await this.#o.trust.pinFirstContact(name, fingerprint);
    const previous = this.#chats.get(key);
    const chat: Chat = new Chat({ name, key, fingerprint, sas: channel.sas }, channel, {
      path,
      sink: this.#o.sink,
      clock: this.#clock,
      ...more,
      onClose: (how) => {
        if (this.#chats.get(key) !== chat) return;
        this.#chats.delete(key);
        if (this.#current !== key) return;
        this.#current = [...this.#chats.keys()].at(-1);
        this.#gone = this.#current === undefined && how !== "you" && this.#o.mail
          ? name
          : undefined;
      },
    });
    this.#chats.set(key, chat);
    this.#current = key;
    this.#gone = undefined;
    // A chat with the same person that was still closing is replaced by the new one.
    previous?.end();
    this.#emit({
      type: "chat-open",
      peer: name,
      fingerprint,
      sas: channel.sas,
      firstContact: status === "new",
      verified: status === "verified",
      path,
    });
    // A relayed chat keeps looking for a direct path, unless the user asked for the relay always.
    this.#upgrader.start(chat);
  }

  #listChats(): void {
    const chats = [
      ...[...this.#chats.values()].map((c) => ({
        peer: c.peer.name,
        state: "open" as const,
        current: c.peer.key === this.#current,
        verified: this.#o.trust.pin(c.peer.name)?.verified === true,
        path: c.path,
      })),
      ...this.#requests.pending().map((r) => ({
        peer: r.name,
        state: r.direction === "incoming" ? "incoming" as const : "requested" as const,
        current: false,
        verified: r.detail.known === "verified",
      })),
    ];
    this.#emit({ type: "chats", chats });
  }

  #fingerprint(name?: Name): void {
    if (name === undefined) {
      return this.#emit({
        type: "fingerprint",
        name: this.#o.name,
        fingerprint: this.#o.identity.public.fingerprint,
      });
    }
    const chat = this.#chats.get(nameKey(name));
    const pin = this.#o.trust.pin(name);
    if (!chat && !pin) {
      throw new CommandError(`No key known for ${name}: open a chat with /chat ${name} first`);
    }
    this.#emit({
      type: "fingerprint",
      name: chat?.peer.name ?? name,
      fingerprint: chat?.peer.fingerprint ?? pin!.fingerprint,
      sas: chat?.peer.sas,
      verified: pin?.verified === true,
    });
  }

  #reportError(error: unknown, quiet = false): void {
    // Quiet: failures of connections nobody asked for (an incoming peer, a relay
    // offer) are not the user's business, unless they are bugs.
    if (quiet && error instanceof CodedError) return;
    this.#emit({ type: "error", code: errorCode(error), message: errorMessage(error) });
  }
}
