/**
 * The chat book's shell (`chat/chat_book.ts` is the machine): it keeps the
 * open chats' connections and the one expiry timer, carries out the book's
 * actions (say this on that connection, dial, open a chat, send, mail, end)
 * and feeds back what they gave: a peer reached or answering, a request's
 * connection that spoke, a chat's change of state, the timer's tick.
 *
 * @module
 */
import type { Identity, SecureChannel } from "../crypto/mod.ts";
import { type Name, nameKey } from "../protocol/mod.ts";
import {
  type BookAction,
  type BookEvent,
  type BookView,
  Chat,
  ChatBook,
  encodePeerMessage,
  type GossipCheckpoint,
  isClosing,
  type PathPolicy,
  PathUpgrader,
  type PeerMessage,
  type RequestInfo,
} from "./chat/mod.ts";
import { ClientError, type ClientEvent, type EventSink } from "./core/mod.ts";
import type { Admitted, Arrival, Link } from "./peer_door.ts";
import { awaitAnswer, type DialContext, dialPeer } from "./peer_dial.ts";
import { type CheckedUser, firstContact, type TrustAction, type TrustView } from "./trust/mod.ts";
import type { PunchResult } from "../protocol/mod.ts";
import type { SeenFrom } from "./directory/mod.ts";
import { Puncher } from "./punch/mod.ts";
import type { FileShell } from "./files/mod.ts";

/** What the runner needs of the session. */
export type RunnerOptions = {
  self: Name;
  identity: Identity;
  trust: TrustView & { pin(name: Name): { verified: boolean } | undefined };
  /** Where events about no command go. */
  sink: EventSink;
  autoAccept: boolean;
  /** Whether lines for a peer who left can go as offline mail. */
  mailOn: boolean;
  policy: PathPolicy;
  clock: () => number;
  /** What a dial needs. */
  dial: DialContext;
  /** The directory's checked entry for `name`, for the path upgrader. */
  lookup(name: Name): Promise<CheckedUser | undefined>;
  /** Tells the directory a relayed chat moved (a count). */
  reportUpgrade(token: string): void;
  /** Seals `text` for `to` (refusing when `unlessOnline` and `to` is online), replying to `out`. */
  mail(to: Name, text: string, unlessOnline: boolean, out: EventSink): Promise<void>;
  /** Carries out the trust rules' actions, reporting to `out`. */
  apply(actions: readonly TrustAction[], out: EventSink): void;
  /** Reports a failure nobody's command asked for. */
  report(error: unknown): void;
  // Hole punching (docs/protocol.md §11.2).
  /** Where the directory connection leaves from and is seen, while it is up. */
  seenFrom(): SeenFrom | undefined;
  /** Tells the directory how a chat's punch ended (a count). */
  reportPunch(result: PunchResult): void;
  /** Files (issue 23): the transfers, told of chats opening, ending and refused. */
  files?: FileShell;
  /** Key transparency (§15.7): the checkpoint our hello and accept hand the peer. */
  gossip?(): GossipCheckpoint | undefined;
  /** Key transparency (§15.7): the checkpoint `peer`'s accept handed us, to reconcile. */
  gossipIn?(peer: string, theirs: GossipCheckpoint): void;
};

/** Runs one client's chat book. */
export class ChatRunner {
  readonly #o: RunnerOptions;
  readonly #clock: () => number;
  readonly #book: ChatBook<Link>;
  readonly #upgrader: PathUpgrader;
  /** The open chats, by the book's id. */
  readonly #chats = new Map<number, Chat>();
  /** Hole punching: the punch of each relayed chat that has one, by the book's id. */
  readonly #punchers = new Map<number, Puncher>();
  #expiry: ReturnType<typeof setTimeout> | undefined;
  /** Who each link we dialed reaches: the peer the accept's gossip comes from. */
  readonly #dialed = new WeakMap<Link, Name>();

  /** A runner for the client `options` describes. */
  constructor(options: RunnerOptions) {
    this.#o = options;
    this.#clock = options.clock;
    this.#book = new ChatBook<Link>({
      self: options.self,
      autoAccept: options.autoAccept,
      mail: options.mailOn,
      reads: {
        verified: (name) => options.trust.pin(name)?.verified === true,
        pathOf: (chat) => this.#chats.get(chat)?.path,
      },
    });
    this.#upgrader = new PathUpgrader({
      moves: options.policy.moves,
      identity: options.identity,
      ownName: options.self,
      lookup: options.lookup,
      reportUpgrade: options.reportUpgrade,
    });
  }

  /** Where a plain line goes now: what the prompt shows. */
  get view(): BookView {
    return this.#book.view;
  }

  /** Names worth completing: online users seen, chats, requests. */
  get knownNames(): string[] {
    return this.#book.knownNames;
  }

  /** Feeds `event` to the book and carries out what it decides, replying to `out`. */
  async handle(event: BookEvent<Link>, out: EventSink = this.#o.sink): Promise<void> {
    await this.#execute(this.#book.handle(event), out);
  }

  /** A peer passed the door: its request goes to the book. */
  admitted(admitted: Admitted, arrival: Arrival): void {
    const { name, channel, fingerprint, known, chatId, source } = admitted;
    const link: Link = { channel, firstRead: channel.receive(), punch: { peer: admitted.punch } };
    const info = {
      fingerprint,
      known,
      path: arrival.path,
      sas: channel.sas,
      chatId,
      relayToken: arrival.offer?.token,
      source,
      link,
    };
    this.#later({ type: "incoming", name, info, now: this.#clock() });
  }

  /** A peer's `resume` for the open chat with `name`: the path upgrader decides. */
  resume(name: string, channel: SecureChannel, hello: PeerMessage): void {
    this.#upgrader.resume(this.chatWith(name), channel, hello);
  }

  /** Quits: requests answered, every chat ended; resolves once all have ended. */
  async quit(): Promise<void> {
    await this.handle({ type: "quit" });
    await Promise.all([...this.#chats.values()].map((chat) => chat.ended));
  }

  /** The newest chat with `name` still under way, if any. */
  chatWith(name: string): Chat | undefined {
    const key = name.toLowerCase();
    return [...this.#chats.values()].findLast((chat) => chat.peer.key === key);
  }

  /**
   * Carries out the book's actions in order, reporting to `out`; resolves
   * once those that belong to a command (a dial up to its hello, a message
   * sealed and left) are done. A `fail` throws, as the command's error.
   */
  async #execute(actions: BookAction<Link>[], out: EventSink): Promise<void> {
    for (const action of actions) {
      switch (action.type) {
        case "show":
          out.emit(this.#withVia(action.event));
          // Files (issue 23): a /send that asked for this chat hears it will not come.
          if (action.event.type === "chat-closed" && action.event.reason === "declined") {
            this.#o.files?.refused(action.event.peer as Name, "declined");
          }
          break;
        case "fail":
          throw new ClientError(action.problem);
        case "say":
          this.#say(action.link, action.message, action.close);
          break;
        case "abort":
          action.link.channel.abort();
          break;
        case "dial":
          await this.#dial(action.request, action.name, out);
          break;
        case "await-answer": {
          const peer = this.#dialed.get(action.link) ?? "";
          const answer = await awaitAnswer(action.link, (log) => this.#o.gossipIn?.(peer, log));
          // The answer (or its absence) is a long outcome: an event of its own, no reply.
          this.#later({ type: "answered", request: action.request, answer });
          break;
        }
        case "watch": {
          const ended = () => this.#later({ type: "watch-ended", request: action.request });
          action.link.firstRead?.then(ended, ended);
          break;
        }
        case "open":
          this.#open(action.chat, action.name, action.info, out);
          break;
        case "send":
          this.#chats.get(action.chat)!.send(action.text, out);
          break;
        case "mail":
          await this.#o.mail(action.to, action.text, action.unlessOnline, out);
          break;
        case "end":
          this.#chats.get(action.chat)?.end();
          break;
        case "timer":
          this.#arm(action.at);
          break;
      }
    }
  }

  /** Dials for outgoing request `request`; the command is done once the hello is said. */
  async #dial(request: number, asked: Name, out: EventSink): Promise<void> {
    let info;
    try {
      info = await dialPeer(asked, this.#o.dial, out);
    } finally {
      // Any way out but a channel (a refusal, an error) ends the request too.
      if (!info) this.#later({ type: "dial-failed", request }, out);
    }
    if (!info) return;
    if (info.link && info.name) this.#dialed.set(info.link, info.name);
    // The answer is awaited apart from the command: its outcome is no reply.
    const actions = this.#book.handle({ type: "reached", request, info });
    await this.#execute(actions.filter((a) => a.type !== "await-answer"), out);
    this.#background(actions.filter((a) => a.type === "await-answer"));
  }

  #open(id: number, name: Name, info: RequestInfo<Link>, out: EventSink): void {
    const { channel, firstRead } = info.link!;
    const fingerprint = channel.peer.fingerprint;
    if (info.known === "new") this.#o.apply(firstContact(this.#o.trust, name, fingerprint), out);
    const chat: Chat = new Chat(
      { name, key: nameKey(name), fingerprint, sas: channel.sas },
      channel,
      {
        path: info.path,
        sink: this.#o.sink,
        clock: this.#clock,
        firstRead,
        id: info.chatId,
        relayToken: info.relayToken,
        // Hole punching: the punch's messages ride on the relayed chat (§11.2).
        aside: (message) => this.#punchers.get(id)?.take(message) ?? false,
        // Files (issue 23).
        files: this.#o.files ? (message) => this.#o.files!.receive(chat, message) : undefined,
        onState: (state) => {
          const event: BookEvent<Link> | undefined = state.kind === "over"
            ? { type: "chat-over", chat: id, by: state.outcome.by }
            : isClosing(state)
            ? { type: "chat-closing", chat: id }
            : undefined;
          if (event) this.#later(event);
        },
      },
    );
    this.#chats.set(id, chat);
    chat.ended.then(() => {
      this.#chats.delete(id);
      this.#punchers.delete(id);
      // Files (issue 23): what travelled on the chat stops, resumable.
      this.#o.files?.closed(chat);
    });
    // Files (issue 23): offers waiting for this chat go, after its chat-open is shown.
    queueMicrotask(() => this.#o.files?.opened(chat));
    // A relayed chat keeps looking for a direct path, unless the user asked for the relay always.
    this.#upgrader.start(chat);
    this.#punch(id, chat, info);
  }

  /**
   * Hole punching (§11.2): a relayed chat between two peers that both said
   * they can punch tries to open a direct path through both NATs.
   */
  #punch(id: number, chat: Chat, info: RequestInfo<Link>): void {
    const link = info.link!;
    if (!this.#o.policy.punches || chat.path !== "relay" || chat.id === undefined) return;
    if (!link.punch?.peer) return;
    const puncher = new Puncher(chat, link.channel, {
      identity: this.#o.identity,
      seenFrom: () => this.#o.seenFrom(),
      upgrader: this.#upgrader,
      policy: this.#o.policy,
      report: (result) => this.#o.reportPunch(result),
      sink: this.#o.sink,
      clock: this.#clock,
    });
    this.#punchers.set(id, puncher);
    puncher.start();
  }

  /** Hole punching: `/chats` says how each direct chat's connection was made. */
  #withVia(event: ClientEvent): ClientEvent {
    if (event.type !== "chats") return event;
    const chats = event.chats.map((c) => {
      const chat = c.state === "open" ? this.chatWith(c.peer) : undefined;
      return chat && chat.path === "direct" ? { ...c, via: chat.via } : c;
    });
    return { ...event, chats };
  }

  /** Says `message` on `link`; with `close`, closes it after (a peer gone needs no answer). */
  #say(link: Link, message: PeerMessage, close = false): void {
    // Hole punching: our hello and accept say we can punch, when we do (§11.2).
    let said = message;
    if ((message.type === "hello" || message.type === "accept") && this.#o.policy.punches) {
      said = { ...said, punch: true } as PeerMessage;
    }
    // Key transparency (§15.7): a hello and an accept hand the peer the checkpoint we keep.
    const log = message.type === "hello" || message.type === "accept"
      ? this.#o.gossip?.()
      : undefined;
    if (log) said = { ...said, log } as PeerMessage;
    // A peer gone already needs no answer; its request ends by the watch or the answer's wait.
    const sent = link.channel.send(encodePeerMessage(said)).catch(() => {});
    if (close) sent.finally(() => link.channel.close());
  }

  /** (Re-)arms the one expiry timer for `at`, or cancels it. */
  #arm(at: number | undefined): void {
    clearTimeout(this.#expiry);
    if (at === undefined) return;
    this.#expiry = setTimeout(
      () => this.#later({ type: "tick", now: this.#clock() }),
      Math.max(0, at - this.#clock()),
    );
  }

  /** Feeds `event` to the book outside any command: what it decides goes to `out` (events). */
  #later(event: BookEvent<Link>, out: EventSink = this.#o.sink): void {
    this.#background(this.#book.handle(event), out);
  }

  /** Carries out `actions` outside any command; a failure is reported, not thrown. */
  #background(actions: BookAction<Link>[], out: EventSink = this.#o.sink): void {
    this.#execute(actions, out).catch((error) => this.#o.report(error));
  }
}
