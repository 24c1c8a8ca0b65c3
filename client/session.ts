/**
 * The chat client's shell: it feeds the machines (the chat book, the path
 * policy, the trust rules, the mail room) what happens, and carries out what
 * they decide, with sockets, timers and files. Commands run one at a time,
 * in the order typed: each one's replies carry `re` (the command as typed)
 * and come before the next command's; what comes later (a chat opening once
 * the peer accepts, messages, mail) is reported as events of their own.
 * Everything goes out as typed events with codes and data only: the words
 * are the interface's.
 *
 * @module
 */
import type { Identity } from "../crypto/mod.ts";
import { CodedError } from "../errors/mod.ts";
import { DirectoryError, type Name, parseName } from "../protocol/mod.ts";
import { type BookView, PathPolicy } from "./chat/mod.ts";
import { ChatRunner } from "./chat_runner.ts";
import {
  type ChatCommand,
  COMMAND_HELP,
  CommandError,
  errorEvent,
  type EventSink,
  parseCommand,
  replySink,
  replyTag,
} from "./core/mod.ts";
import type { RelayMode } from "./connect_options.ts";
import type { DirectoryLink } from "./directory/mod.ts";
import type { HeldMail, MailService } from "./mail/mod.ts";
import { IncomingPeers } from "./incoming_peers.ts";
import { isSelf, type PeerTrust, type TrustAction, vetEntry } from "./trust/mod.ts";
// Groups (issue 24).
import { type GroupFile, type GroupRecord, GroupService, runGroupCommand } from "./groups/mod.ts";
import type { FileShell } from "./files/mod.ts";
import { sendFile } from "./file_send.ts";
import { listUsers, type QueryContext, showFingerprint, whoisUser } from "./user_queries.ts";

/** What the session needs. */
export type SessionOptions = {
  name: Name;
  identity: Identity;
  link: DirectoryLink;
  trust: PeerTrust;
  /** Where events go. */
  sink: EventSink;
  autoAccept: boolean;
  relay: RelayMode;
  /** Offline mail; without it, messages to people who are away are refused. */
  mail?: MailService;
  clock?: () => number;
  /** Hole punching (docs/protocol.md §11.2): `--punch` (on unless false). */
  punch?: boolean;
  /** Groups (issue 24): the groups file and what it held; without it, no groups. */
  groups?: { file: GroupFile; records: readonly GroupRecord[] };
  /** Files (issue 23): sending and receiving files; without it, /send is refused. */
  files?: FileShell;
};

/** The client. */
export class ChatSession {
  readonly #o: SessionOptions;
  readonly #clock: () => number;
  readonly #policy: PathPolicy;
  readonly #runner: ChatRunner;
  /** The listener and relay offers: the ways peers come in. */
  readonly #incoming: IncomingPeers;
  /** Aborted on quit: every dial under way gives up. */
  readonly #stop = new AbortController();
  readonly #done = Promise.withResolvers<void>();
  /** The commands, one after another. */
  #commands: Promise<void> = Promise.resolve();
  #quitting: Promise<void> | undefined;
  /** Groups (issue 24). */
  readonly #groups: GroupService | undefined;
  /** `/list`, `/whois`, `/fp`. */
  readonly #queries: QueryContext;

  /** A session as `options.name`. */
  constructor(options: SessionOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
    this.#policy = new PathPolicy(options.relay, options.punch ?? true);
    const apply = (actions: readonly TrustAction[], out: EventSink) => this.#apply(actions, out);
    this.#runner = new ChatRunner({
      self: options.name,
      identity: options.identity,
      trust: options.trust,
      sink: options.sink,
      autoAccept: options.autoAccept,
      mailOn: options.mail !== undefined,
      policy: this.#policy,
      clock: this.#clock,
      dial: {
        identity: options.identity,
        link: options.link,
        trust: options.trust,
        policy: this.#policy,
        clock: this.#clock,
        signal: this.#stop.signal,
        apply,
      },
      lookup: async (name) => {
        const vetted = vetEntry(options.trust, await options.link.lookup(name), name);
        this.#apply(vetted.actions, options.sink);
        return vetted.value;
      },
      // Only a count at the directory (docs/protocol.md §11.1): one lost changes a number.
      reportUpgrade: (token) => void options.link.relayUpgraded(token).catch(() => {}),
      mail: (to, text, unlessOnline, out) => this.#mail(to, text, unlessOnline, out),
      apply,
      report: (error) => this.#reportQuietly(error),
      // Hole punching (§11.2): the directory connection's port punches; the report is a count,
      // so one lost changes a number.
      seenFrom: () => options.link.seenFrom,
      reportPunch: (result) => void options.link.punchReport(result).catch(() => {}),
      files: options.files,
      // Key transparency (§15.7): checkpoints handed to peers with hello and accept, and theirs.
      gossip: () => options.link.gossipCheckpoint(),
      gossipIn: (peer, theirs) => void options.link.gossip(peer, theirs),
    });
    this.#queries = {
      self: options.name,
      identity: options.identity,
      link: options.link,
      trust: options.trust,
      chats: this.#runner,
      apply,
    };
    // Groups (issue 24).
    this.#groups = options.groups && new GroupService({
      ...options,
      ...options.groups,
      policy: this.#policy,
      clock: this.#clock,
      signal: this.#stop.signal,
      apply,
    });
    this.#incoming = new IncomingPeers({
      identity: options.identity,
      link: options.link,
      trust: options.trust,
      sink: options.sink,
      policy: this.#policy,
      runner: this.#runner,
      groups: this.#groups,
      quitting: () => this.#quitting !== undefined,
      apply,
      report: (error) => this.#reportQuietly(error),
    });
  }

  /** Resolves once the user has quit and every chat has ended. */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  /** Where a plain line goes now: what the prompt shows. */
  get view(): BookView & { group?: string } {
    // Groups (issue 24): a group that is the current conversation.
    const group = this.#groups?.current;
    return group ? { self: this.#o.name, group: group.title } : this.#runner.view;
  }

  /** Names worth completing: online users seen, chats, requests (and `#TITLE` of groups). */
  get knownNames(): string[] {
    return [...this.#runner.knownNames, ...(this.#groups?.titles ?? [])];
  }

  /**
   * Runs one line of input after the ones before it; resolves once its
   * replies are out. Failures become `error` replies, never throws. Lines
   * after the user quit are not run.
   */
  handle(line: string): Promise<void> {
    const run = this.#commands.then(async () => {
      if (this.#quitting) return;
      const out = replySink(this.#o.sink, replyTag(line));
      try {
        await this.#run(parseCommand(line), out);
      } catch (error) {
        // A command cut short because the user quit (Ctrl-C, SIGTERM) is no news.
        if (!this.#quitting) out.emit(errorEvent(error));
      }
    });
    this.#commands = run;
    return run;
  }

  /**
   * Accepts peer connections from `listener` until quit, each admitted at
   * the gate first (per source, in total, with eviction of the busiest).
   */
  serve(listener: Deno.TcpListener): Promise<void> {
    return this.#incoming.serve(listener);
  }

  /**
   * A peer asked, through the directory, to meet at the relay (at `relay`,
   * another instance). Offers come from registered users, so they are
   * admitted apart from the listener's connections, per offering name.
   */
  acceptRelayOffer(offer: { from: string; token: string; relay?: string }): void {
    this.#incoming.acceptRelayOffer(offer);
  }

  /** Handles a sealed message the directory held for us. */
  receiveMail(mail: HeldMail): void {
    this.#o.mail?.receive(mail);
  }

  /** Ends every chat (EOM, waiting for acknowledgements on their way), answers every request, leaves. */
  quit(): Promise<void> {
    this.#quitting ??= (async () => {
      this.#stop.abort(new Error("the user quit"));
      await this.#runner.quit();
      // Groups (issue 24): links closed, what members did not show left as mail.
      await this.#groups?.quit();
      // Files (issue 23): what is under way stops resumable, and the records are written.
      await this.#o.files?.quit();
      // Leaving: a directory that is gone already has nobody to tell.
      await this.#o.link.stop().catch(() => {});
      this.#done.resolve();
    })();
    return this.#quitting;
  }

  async #run(command: ChatCommand, out: EventSink): Promise<void> {
    const trust = this.#o.trust;
    // Groups (issue 24): the group commands, and plain lines while a group is current.
    if (await runGroupCommand(this.#groups, command, out)) return;
    switch (command.kind) {
      case "empty":
        return;
      case "say":
        return await this.#runner.handle({ type: "say", text: command.text }, out);
      case "msg":
        return await this.#runner.handle(
          { type: "msg", name: parseName(command.name), text: command.text },
          out,
        );
      case "mail":
        return await this.#needMail().waiting(out);
      case "eom":
      case "chats":
        return await this.#runner.handle({ type: command.kind }, out);
      case "chat":
        return await this.#runner.handle(
          { type: "chat", name: parseName(command.name), now: this.#clock() },
          out,
        );
      case "accept":
      case "decline":
        return await this.#runner.handle(
          { type: command.kind, name: parseName(command.name) },
          out,
        );
      case "list":
        return await listUsers(this.#queries, command.prefix, out);
      case "whois":
        return await whoisUser(this.#queries, parseName(command.name), out);
      case "fp":
        return showFingerprint(
          this.#queries,
          command.name === undefined ? undefined : parseName(command.name),
          out,
        );
      case "verify": {
        const name = this.#notSelf(parseName(command.name), "/verify");
        const pin = await trust.verify(name);
        return out.emit({ type: "verified", peer: name, fingerprint: pin.fingerprint });
      }
      case "trust": {
        const name = this.#notSelf(parseName(command.name), "/trust");
        return out.emit({ type: "trusted", peer: name, fingerprint: await trust.trust(name) });
      }
      case "help":
        return out.emit({
          type: "help",
          commands: COMMAND_HELP.map(([usage, description]) => ({ usage, description })),
        });
      case "quit":
        return await this.quit();
      // Files (issue 23):
      case "send":
        return await sendFile(parseName(command.name), command.path, {
          files: this.#needFiles(),
          chats: this.#runner,
          link: this.#o.link,
          notSelf: (name) => this.#notSelf(name, "/send"),
          now: this.#clock,
          out,
        });
      case "accept-file":
        return await this.#needFiles().accept(command.id);
      case "decline-file":
        return await this.#needFiles().decline(command.id);
      case "cancel":
        return await this.#needFiles().cancel(command.id);
      case "files":
        return this.#needFiles().list(out);
    }
  }

  #needFiles(): FileShell {
    if (!this.#o.files) throw new CommandError({ code: "bad-command", problem: "files-off" });
    return this.#o.files;
  }

  async #mail(to: Name, text: string, unlessOnline: boolean, out: EventSink): Promise<void> {
    const mail = this.#needMail();
    if (unlessOnline) {
      const online = await this.#o.link.lookup(to).then(() => true, (error) => {
        if (error instanceof DirectoryError && error.code === "not-found") return false;
        throw error;
      });
      if (online) throw new CommandError({ code: "bad-command", problem: "peer-online", peer: to });
    }
    await mail.send(to, text, out);
  }

  #notSelf(name: Name, command: string): Name {
    if (!isSelf(this.#o.trust, name)) return name;
    throw new CommandError({ code: "self", problem: "self", name, command });
  }

  #needMail(): MailService {
    if (!this.#o.mail) throw new CommandError({ code: "bad-command", problem: "mail-off" });
    return this.#o.mail;
  }

  /** Carries out the trust rules' actions: warnings to `out`, changed keys noted, pins made. */
  #apply(actions: readonly TrustAction[], out: EventSink): void {
    for (const action of actions) {
      if (action.type === "warn") out.emit(action.warning);
      else if (action.type === "note-changed") {
        this.#o.trust.noteChanged(action.name, action.fingerprint);
      } else {
        // In memory at once; the file's write failing is worth telling the user.
        this.#o.trust.pinFirstContact(action.name, action.fingerprint)
          .catch((error) => this.#o.sink.emit(errorEvent(error)));
      }
    }
  }

  /** Failures of connections nobody asked for (an incoming peer, a relay offer) are not the user's business, unless they are bugs. */
  #reportQuietly(error: unknown): void {
    if (error instanceof CodedError) return;
    this.#o.sink.emit(errorEvent(error));
  }
}
