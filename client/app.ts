/**
 * The chat client's logic, without a terminal: commands in, events out.
 * It opens chats (checking the directory's word against pinned keys),
 * answers incoming requests, and keeps several chats at once.
 *
 * @module
 */
import {
  acceptChannel,
  connTransport,
  type Fingerprint,
  fingerprintOf,
  formatFingerprint,
  fromBase64,
  type Identity,
  type SecureChannel,
  type Transport,
  UnexpectedPeerKey,
} from "../crypto/mod.ts";
import {
  DirectoryError,
  DirectoryUnavailableError,
  joinRelay,
  type Name,
  nameKey,
  parseName,
  type UserEntry,
} from "../directory/mod.ts";
import { CodedError, errorCode, errorMessage } from "../errors/mod.ts";
import { Chat } from "./chat.ts";
import { type ChatCommand, COMMAND_HELP, CommandError, parseCommand } from "./commands.ts";
import type { DirectoryLink } from "./directory_link.ts";
import type { EventSink, KeyStatus, ListedUser } from "./events.ts";
import { encodePeerMessage } from "./peer_messages.ts";
import {
  HELLO_TIMEOUT_MS,
  type Path,
  reachPeer,
  receiveWithin,
  REQUEST_TIMEOUT_MS,
} from "./peer_link.ts";
import type { PinFile } from "./pin_file.ts";
import { PeerTrust } from "./peer_trust.ts";
import type { RelayMode } from "./connect_options.ts";

/** Incoming requests waiting for /accept or /decline at once; more are declined as busy. */
export const MAX_PENDING_REQUESTS = 16;
/** Peer handshakes in progress at once; more connections are closed. */
export const MAX_PEER_HANDSHAKES = 16;

/** What the app needs. */
export type AppOptions = {
  name: string;
  identity: Identity;
  link: DirectoryLink;
  peers: PinFile;
  sink: EventSink;
  autoAccept: boolean;
  relay: RelayMode;
  handshakeTimeoutMs?: number;
};

type Incoming = {
  name: string;
  channel: SecureChannel;
  fingerprint: Fingerprint;
  known: KeyStatus;
  path: Path;
  timer: ReturnType<typeof setTimeout>;
};

/** The client. */
export class ChatApp {
  readonly #o: AppOptions;
  readonly #trust: PeerTrust;
  readonly #chats = new Map<string, Chat>();
  readonly #incoming = new Map<string, Incoming>();
  readonly #outgoing = new Set<string>();
  readonly #seenNames = new Set<string>();
  readonly #done = Promise.withResolvers<void>();
  #current: string | undefined;
  #handshakes = 0;
  #quitting = false;

  constructor(options: AppOptions) {
    this.#o = options;
    this.#trust = new PeerTrust(options.peers, options.sink);
  }

  /** Resolves once the user has quit. */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  /** The prompt: who you are and which chat a plain line goes to. */
  get prompt(): string {
    return this.#current ? `${this.#o.name}→${this.#current}> ` : `${this.#o.name}> `;
  }

  /** Names worth completing: online users seen, chats, requests. */
  get knownNames(): string[] {
    return [
      ...new Set([
        ...this.#seenNames,
        ...[...this.#chats.values()].map((c) => c.peer.name),
        ...[...this.#incoming.values()].map((i) => i.name),
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

  /** Accepts peer connections from `listener` until quit. */
  async serve(listener: Deno.TcpListener): Promise<void> {
    for await (const conn of listener) {
      if (this.#quitting) {
        conn.close();
        continue;
      }
      if (this.#handshakes >= MAX_PEER_HANDSHAKES) {
        conn.close();
        continue;
      }
      this.#answer(connTransport(conn), "direct").catch((error) => this.#reportError(error, true));
    }
  }

  async #run(command: ChatCommand): Promise<void> {
    switch (command.kind) {
      case "empty":
        return;
      case "say":
        return void await this.#currentChat().send(command.text);
      case "msg":
        return void await this.#chatWith(command.name).send(command.text);
      case "eom":
        return await this.#currentChat().end("eom");
      case "list":
        return await this.#list(command.prefix);
      case "whois": {
        const user = await this.#o.link.lookup(parseName(command.name));
        return this.#o.sink.emit({ type: "users", users: [this.#listed(user)], more: false });
      }
      case "chat":
        return await this.#startChat(parseName(command.name));
      case "accept":
        return await this.#accept(parseName(command.name));
      case "decline":
        return this.#decline(parseName(command.name), "user");
      case "chats":
        return this.#listChats();
      case "fp":
        return this.#fingerprint(command.name);
      case "verify":
        return await this.#trust.verify(parseName(command.name));
      case "trust":
        return await this.#trust.trust(parseName(command.name));
      case "help":
        return this.#o.sink.emit({
          type: "help",
          commands: COMMAND_HELP.map(([usage, description]) => ({ usage, description })),
        });
      case "quit":
        return await this.quit();
    }
  }

  /** Ends every chat (EOM), declines every request, leaves the directory. */
  async quit(): Promise<void> {
    if (this.#quitting) return;
    this.#quitting = true;
    for (const name of [...this.#incoming.keys()]) {
      this.#decline(this.#incoming.get(name)!.name as Name, "user");
    }
    await Promise.all([...this.#chats.values()].map(async (chat) => {
      await chat.end("eom");
      await chat.ended;
    }));
    await this.#o.link.stop().catch(() => {});
    this.#done.resolve();
  }

  #currentChat(): Chat {
    const chat = this.#current ? this.#chats.get(nameKey(this.#current as Name)) : undefined;
    if (!chat) {
      throw new CommandError(
        "No chat is open; start one with /chat NAME or accept one with /accept NAME",
      );
    }
    return chat;
  }

  #chatWith(name: string): Chat {
    const chat = this.#chats.get(nameKey(parseName(name)));
    if (!chat) throw new CommandError(`No open chat with ${name}; start one with /chat ${name}`);
    return chat;
  }

  async #list(prefix?: string): Promise<void> {
    const { users, more } = await this.#o.link.list({ prefix, limit: 200 });
    this.#o.sink.emit({ type: "users", users: users.map((u) => this.#listed(u)), more });
  }

  #listed(user: UserEntry): ListedUser {
    this.#seenNames.add(user.name);
    return {
      name: user.name,
      address: user.address,
      port: user.port,
      fingerprint: user.fingerprint,
      verified: this.#trust.isVerified(user.name as Name, user.fingerprint),
    };
  }

  async #startChat(name: Name): Promise<void> {
    const key = nameKey(name);
    if (this.#chats.has(key)) {
      this.#current = this.#chats.get(key)!.peer.name;
      return this.#o.sink.emit({ type: "current", peer: this.#current });
    }
    if (this.#incoming.has(key)) return await this.#accept(name);
    if (this.#outgoing.has(key)) {
      throw new CommandError(`Already asking ${name} to chat; wait for their answer`);
    }
    this.#outgoing.add(key);
    try {
      const user = await this.#o.link.lookup(name);
      const listed = user.fingerprint as Fingerprint;
      if (fingerprintOf(fromBase64(user.key)) !== listed) {
        return this.#o.sink.emit({
          type: "security-warning",
          peer: name,
          reason: "directory-inconsistent",
          expected: listed,
          got: fingerprintOf(fromBase64(user.key)),
          message:
            `The directory listed a key for ${name} that does not match its own fingerprint; not connecting`,
        });
      }
      const status = this.#trust.status(name, listed);
      if (status === "changed") return this.#trust.refuseChanged(name, listed);
      let opened: { channel: SecureChannel; path: Path };
      try {
        opened = await reachPeer(user, {
          expected: listed,
          identity: this.#o.identity,
          ownName: this.#o.name,
          relay: this.#o.relay,
          link: this.#o.link,
          onFallback: () =>
            this.#o.sink.emit({
              type: "info",
              message: `No direct path to ${user.name}; meeting through the directory's relay`,
            }),
        });
      } catch (error) {
        if (!(error instanceof UnexpectedPeerKey)) throw error;
        return this.#o.sink.emit({
          type: "security-warning",
          peer: name,
          reason: "unexpected-key",
          expected: listed,
          got: error.got.replaceAll(" ", ""),
          message:
            `The peer the directory pointed to is not ${name}: it proved key ${error.got}, ` +
            `the directory lists ${formatFingerprint(listed)}. Not connecting`,
        });
      }
      const { channel, path } = opened;
      this.#o.sink.emit({
        type: "info",
        message: `Asked ${user.name} to chat; waiting for them to accept`,
      });
      const answer = await receiveWithin(channel, REQUEST_TIMEOUT_MS, "answer to the chat request");
      if (answer.type !== "accept") {
        channel.abort();
        const why = answer.type === "decline" && answer.reason === "security"
          ? `${user.name}'s client refused the chat: it does not trust your key for ${this.#o.name}`
          : answer.type === "decline" && answer.reason === "busy"
          ? `${user.name} has too many pending requests`
          : `${user.name} declined the chat`;
        return this.#o.sink.emit({
          type: "chat-closed",
          peer: user.name,
          reason: "declined",
          message: why,
        });
      }
      await this.#open(user.name as Name, channel, status, path);
    } finally {
      this.#outgoing.delete(key);
    }
  }

  /** A peer asked, through the directory, to meet at the relay. */
  acceptRelayOffer(offer: { from: string; token: string }): void {
    if (this.#quitting || this.#o.relay === "never" || this.#handshakes >= MAX_PEER_HANDSHAKES) {
      return;
    }
    joinRelay(this.#o.link.server, offer.token)
      .then((transport) => this.#answer(transport, "relay"))
      .catch((error) => this.#reportError(error, true));
  }

  async #answer(transport: Transport, path: Path): Promise<void> {
    this.#handshakes++;
    let channel: SecureChannel;
    try {
      channel = await acceptChannel(transport, this.#o.identity, {
        handshakeTimeoutMs: this.#o.handshakeTimeoutMs,
      });
    } catch {
      return; // Not a p2pchat peer, or an attack: nothing to tell the user.
    } finally {
      this.#handshakes--;
    }
    const decline = async (reason: "security" | "busy" | "timeout" | "user"): Promise<void> => {
      await channel.send(encodePeerMessage({ type: "decline", reason })).catch(() => {});
      await channel.close();
    };
    const hello = await receiveWithin(channel, HELLO_TIMEOUT_MS, "hello").catch(() => null);
    if (hello?.type !== "hello") return channel.abort();
    let name: Name;
    try {
      name = parseName(hello.name);
    } catch {
      return channel.abort();
    }
    const proven = channel.peer.fingerprint;
    let listed: UserEntry | undefined;
    try {
      listed = await this.#o.link.lookup(name);
    } catch (error) {
      if (!(error instanceof DirectoryError) && !(error instanceof DirectoryUnavailableError)) {
        throw error;
      }
    }
    const status = this.#trust.status(name, proven);
    if (listed === undefined && status !== "pinned" && status !== "verified") {
      this.#o.sink.emit({
        type: "security-warning",
        peer: name,
        reason: "unlisted",
        expected: "",
        got: proven,
        message:
          `Someone claiming to be ${name} asked to chat, but the directory does not list ${name}; refused`,
      });
      return await decline("security");
    }
    if (listed !== undefined && listed.fingerprint !== proven) {
      this.#o.sink.emit({
        type: "security-warning",
        peer: name,
        reason: "directory-mismatch",
        expected: listed.fingerprint,
        got: proven,
        message:
          `Someone claiming to be ${name} asked to chat with key ${formatFingerprint(proven)}, ` +
          `but the directory lists ${
            formatFingerprint(listed.fingerprint as Fingerprint)
          }; refused`,
      });
      return await decline("security");
    }
    if (status === "changed") {
      this.#trust.refuseChanged(name, proven);
      return await decline("security");
    }
    const key = nameKey(name);
    if (this.#incoming.size >= MAX_PENDING_REQUESTS && !this.#incoming.has(key)) {
      return await decline("busy");
    }
    const displayName = listed?.name ?? name;
    const previous = this.#incoming.get(key);
    if (previous) {
      clearTimeout(previous.timer);
      previous.channel.abort();
    }
    const timer = setTimeout(() => {
      if (this.#incoming.get(key)?.channel !== channel) return;
      this.#incoming.delete(key);
      decline("timeout");
      this.#o.sink.emit({
        type: "info",
        message: `${displayName}'s chat request expired unanswered`,
      });
    }, REQUEST_TIMEOUT_MS);
    this.#incoming.set(key, {
      name: displayName,
      channel,
      fingerprint: proven,
      known: status,
      path,
      timer,
    });
    this.#seenNames.add(displayName);
    this.#o.sink.emit({
      type: "chat-request",
      peer: displayName,
      fingerprint: proven,
      known: status,
    });
    if (this.#o.autoAccept) await this.#accept(displayName as Name);
  }

  async #accept(name: Name): Promise<void> {
    const key = nameKey(name);
    const request = this.#incoming.get(key);
    if (!request) throw new CommandError(`No chat request from ${name}; /chats lists them`);
    this.#incoming.delete(key);
    clearTimeout(request.timer);
    await request.channel.send(encodePeerMessage({ type: "accept" }));
    await this.#open(request.name as Name, request.channel, request.known, request.path);
  }

  #decline(name: Name, reason: "user"): void {
    const key = nameKey(name);
    const request = this.#incoming.get(key);
    if (!request) throw new CommandError(`No chat request from ${name}; /chats lists them`);
    this.#incoming.delete(key);
    clearTimeout(request.timer);
    request.channel.send(encodePeerMessage({ type: "decline", reason })).catch(() => {}).finally(
      () => request.channel.close(),
    );
    this.#o.sink.emit({
      type: "chat-closed",
      peer: request.name,
      reason: "declined",
      message: `You declined ${request.name}'s chat`,
    });
  }

  async #open(name: Name, channel: SecureChannel, status: KeyStatus, path: Path): Promise<void> {
    const key = nameKey(name);
    const fingerprint = channel.peer.fingerprint;
    if (status === "new") await this.#trust.pinFirstContact(name, fingerprint);
    const old = this.#chats.get(key);
    if (old) await old.end("connection-lost");
    const chat: Chat = new Chat({ name, fingerprint, sas: channel.sas, path }, channel, {
      sink: this.#o.sink,
      onClose: () => {
        if (this.#chats.get(key) !== chat) return;
        this.#chats.delete(key);
        if (this.#current === name) this.#current = [...this.#chats.values()].at(-1)?.peer.name;
      },
    });
    this.#chats.set(key, chat);
    this.#current = name;
    this.#o.sink.emit({
      type: "chat-open",
      peer: name,
      fingerprint,
      sas: channel.sas,
      firstContact: status === "new",
      verified: status === "verified",
      path,
    });
  }

  #listChats(): void {
    const chats = [
      ...[...this.#chats.values()].map((c) => ({
        peer: c.peer.name,
        state: "open" as const,
        current: c.peer.name === this.#current,
        verified: this.#trust.pinned(c.peer.name as Name)?.verified === true,
      })),
      ...[...this.#incoming.values()].map((i) => ({
        peer: i.name,
        state: "incoming" as const,
        current: false,
        verified: i.known === "verified",
      })),
    ];
    this.#o.sink.emit({ type: "chats", chats });
  }

  #fingerprint(name?: string): void {
    if (name === undefined) {
      return this.#o.sink.emit({
        type: "fingerprint",
        name: this.#o.name,
        fingerprint: this.#o.identity.public.fingerprint,
      });
    }
    const key = nameKey(parseName(name));
    const chat = this.#chats.get(key);
    const pin = this.#trust.pinned(parseName(name));
    if (!chat && !pin) {
      throw new CommandError(`No key known for ${name}: open a chat with /chat ${name} first`);
    }
    this.#o.sink.emit({
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
    this.#o.sink.emit({ type: "error", code: errorCode(error), message: errorMessage(error) });
  }
}
