/**
 * The groups' shell: it feeds the group book (`group_book.ts`) and the
 * fan-out (`fan_out.ts`) what happens, and carries out what they decide,
 * with the directory, links, offline mail, pins, the groups file and one
 * timer. A command's replies go to its own sink and it is done once they
 * are out (an /invite once the invitation is on its way); frames from
 * members, links and timers report as events of their own.
 *
 * @module
 */
import { type Identity, PublicIdentity, type SecureChannel } from "../../crypto/mod.ts";
import { Deadline } from "../../async/mod.ts";
import { DirectoryError, type Name } from "../../protocol/mod.ts";
import { type PathPolicy, randomId, say } from "../chat/mod.ts";
import {
  ClientError,
  errorEvent,
  type EventSink,
  type KeyStatus,
  PeerProtocolError,
} from "../core/mod.ts";
import type { DirectoryLink } from "../directory/mod.ts";
import type { GroupMail, MailService } from "../mail/mod.ts";
import { firstContact, type PeerTrust, type TrustAction } from "../trust/mod.ts";
import { FanOut, type FanOutAction, type FanOutEvent, type RouteResult } from "./fan_out.ts";
import { GroupBook } from "./group_book.ts";
import type { GroupCommand, Untimed } from "./group_commands.ts";
import type { GroupAction, GroupEvent, Peer } from "./group_events.ts";
import type { GroupFile } from "./group_file.ts";
import { decodeFrameValue, type GroupFrame, mergeAcks } from "./group_frames.ts";
import { GroupLink } from "./group_link.ts";
import type { GroupRecord } from "./group_record.ts";
import { mailFrames } from "./mail_parts.ts";
import { findInvitee, reachMember } from "./member_route.ts";
import { type Member, member, signMembership } from "./membership.ts";

/** Most group links open at once; past it, new ones are declined as busy and members get mail. */
export const MAX_LINKS = 256;
/** How long quitting waits for links to close and mail already started to be left. */
export const QUIT_WAIT_MS = 3_000;

/** What the service needs of the client. */
export type GroupServiceOptions = {
  readonly name: Name;
  readonly identity: Identity;
  readonly link: DirectoryLink;
  readonly trust: PeerTrust;
  readonly policy: PathPolicy;
  /** Offline mail; without it, members who are away get nothing until a link comes up. */
  readonly mail?: MailService;
  readonly file: GroupFile;
  readonly records: readonly GroupRecord[];
  /** Where events about no command go. */
  readonly sink: EventSink;
  readonly clock: () => number;
  /** Aborted when the user quits: dials under way give up. */
  readonly signal: AbortSignal;
  /** Carries out the trust rules' actions (warnings to `out`, pins, changed keys). */
  apply(actions: readonly TrustAction[], out: EventSink): void;
};

/** A group link at the door: the peer proven and vetted as a chat request is. */
export type GroupArrival = {
  readonly name: Name;
  readonly channel: SecureChannel;
  readonly known: KeyStatus;
  readonly group: string;
  /** The version of the group's membership the peer says it holds. */
  readonly version: number;
};

/** Groups, carried out. */
export class GroupService {
  readonly #o: GroupServiceOptions;
  readonly #book: GroupBook;
  readonly #fan = new FanOut<GroupLink>();
  readonly #links = new Set<GroupLink>();
  /** Warnings about a member's key said once a session, not once a message. */
  readonly #warned = new Set<string>();
  /** Mail and routes started in the background, for quit to wait on. */
  readonly #inflight = new Set<Promise<unknown>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #quitting = false;
  #mailLost = 0;

  /** The groups of `options.name`, as the groups file kept them. */
  constructor(options: GroupServiceOptions) {
    this.#o = options;
    const self = member(options.name, options.identity.public);
    this.#book = new GroupBook({
      self,
      sign: (m) => signMembership(options.identity, m),
      randomId,
      reads: { verified: (name, fp) => options.trust.isVerified(name, fp) },
    }, options.records);
    options.file.track(() => this.#book.records);
    options.mail?.onGroupFrame((mail) => this.#mailed(mail));
    this.#later(this.#book.handle({ type: "tick", now: options.clock() }));
  }

  /** The group plain lines go to, when the current conversation is one. */
  get current(): { readonly group: string; readonly title: string } | undefined {
    return this.#book.current;
  }

  /** `#TITLE` of every group, for completion. */
  get titles(): string[] {
    return this.#book.titles;
  }

  /** Frames the directory would not hold for a member who was away. */
  get mailLost(): number {
    return this.#mailLost;
  }

  /** Runs one group command, replying to `out`; throws the command's error. */
  async command(command: Untimed<GroupCommand>, out: EventSink): Promise<void> {
    const event = { ...command, now: this.#o.clock() } as GroupEvent;
    await this.#execute(this.#book.handle(event), out);
  }

  /** A group link passed the door: the book says whether it is let in. */
  arrive(arrival: GroupArrival): void {
    const { channel, name } = arrival;
    const peer: Peer = { name, fingerprint: channel.peer.fingerprint, key: channel.peer.key };
    const decision = this.#book.admits(name, peer.fingerprint, arrival.group, arrival.version);
    if (!decision.admit || this.#quitting || this.#links.size >= MAX_LINKS) {
      if (decision.admit === false && decision.warning) {
        this.#warn([{ type: "warn", warning: decision.warning }]);
      }
      const reason = decision.admit ? "busy" : "security";
      // A peer gone already needs no answer: the channel closes either way.
      say(channel, { type: "decline", reason }).catch(() => {}).finally(() => channel.close());
      return;
    }
    // Safe to drop: a link that failed to take the answer ends, and its member is reached again.
    say(channel, { type: "accept" }).catch(() => {});
    // A member's link is contact with them, proven: their key is pinned as a chat's would be.
    // An inviter's is pinned once the invitation is taken (/join).
    if (decision.admit === "member") {
      this.#o.apply(firstContact(this.#o.trust, name, peer.fingerprint), this.#o.sink);
    }
    this.#up(this.#open(peer, channel, arrival.known));
  }

  /** Closes every link (after what they carry) and waits, bounded, for mail already started. */
  async quit(): Promise<void> {
    this.#quitting = true;
    clearTimeout(this.#timer);
    using deadline = Deadline.after(QUIT_WAIT_MS, () => new Error("quit wait over"));
    const within = (work: Promise<unknown>): Promise<void> =>
      new Promise<void>((resolve) => {
        work.then(() => resolve(), () => resolve());
        deadline.signal.addEventListener("abort", () => resolve(), { once: true });
      });
    // Each link closes after what it carries; what a member did not show goes as mail.
    await within(Promise.all([...this.#links].map((l) => {
      l.close();
      return l.ended;
    })));
    await within(Promise.allSettled([...this.#inflight]));
    // The file says the very numbers used, so the next start goes on from them.
    this.#book.settle();
    // A file that cannot be written is the user's to know; quitting goes on.
    await this.#o.file.save().catch((error) => this.#o.sink.emit(errorEvent(error)));
  }

  /** Carries out the book's actions in order, replying to `out`; a `fail` throws. */
  async #execute(actions: readonly GroupAction[], out: EventSink, from?: GroupLink): Promise<void> {
    for (const action of actions) {
      switch (action.type) {
        case "show":
          out.emit(action.event);
          break;
        case "fail":
          throw new ClientError(action.problem);
        case "deliver":
          this.#fanOut({
            type: "send",
            to: action.to,
            frames: action.frames,
            now: this.#o.clock(),
          });
          break;
        case "acked":
          this.#fanOut({ type: "acked", fingerprint: action.fingerprint, ids: action.ids });
          break;
        case "resolve": {
          const invitee = await findInvitee(this.#o, action.name, out);
          if (invitee) {
            const event: GroupEvent = {
              type: "invitee",
              group: action.group,
              invitee,
              now: this.#o.clock(),
            };
            await this.#execute(this.#book.handle(event), out);
          }
          break;
        }
        case "pin":
          this.#o.apply(firstContact(this.#o.trust, action.name, action.fingerprint), out);
          break;
        case "save": {
          const saved = this.#o.file.save();
          if (action.wait) await saved;
          // Not waited for: a file that cannot be written is still the user's to know.
          else saved.catch((error) => this.#o.sink.emit(errorEvent(error)));
          break;
        }
        case "drop-link":
          from?.abort();
          break;
        case "timer":
          this.#arm(action.at);
          break;
      }
    }
  }

  /** Carries out `actions` outside any command; a failure is reported, not thrown. */
  #later(actions: readonly GroupAction[], from?: GroupLink): void {
    this.#execute(actions, this.#o.sink, from).catch((error) =>
      this.#o.sink.emit(errorEvent(error))
    );
  }

  #fanOut(event: FanOutEvent<GroupLink>): void {
    for (const action of this.#fan.handle(event)) this.#doFan(action);
  }

  #doFan(action: FanOutAction<GroupLink>): void {
    switch (action.type) {
      case "write":
        return action.link.write(action.frames);
      case "mail":
        return this.#mail(action.to, action.frames);
      case "route": {
        const routed = this.#route(action.to, action.group).then(
          (result) =>
            this.#fanOut({
              type: "routed",
              fingerprint: action.to.fingerprint,
              result,
              now: this.#o.clock(),
            }),
          (error) => {
            this.#fanOut({
              type: "routed",
              fingerprint: action.to.fingerprint,
              result: { kind: "offline" },
              now: this.#o.clock(),
            });
            if (!(error instanceof ClientError) && !(error instanceof DirectoryError)) {
              this.#o.sink.emit(errorEvent(error));
            }
          },
        );
        this.#track(routed);
      }
    }
  }

  /** Seals each frame (in parts, when large) for `to` and leaves it at the directory. */
  #mail(to: Member, frames: readonly GroupFrame[]): void {
    const mail = this.#o.mail;
    if (!mail) return;
    const identity = PublicIdentity.fromRaw(to.key);
    for (const frame of mergeAcks(frames)) {
      for (const piece of mailFrames(frame)) {
        // Lost mail is counted: what a member did not show stays pending in the book and goes
        // again once a link with them is up.
        const frame = piece as unknown as Record<string, unknown>;
        this.#track(mail.sendGroup(to.name, identity, frame).catch(() => this.#mailLost++));
      }
    }
  }

  /** Reaches `to` for a link opened for `group`; the link, or why not. */
  async #route(to: Member, group: string): Promise<RouteResult<GroupLink>> {
    if (this.#quitting) return { kind: "offline" };
    const reached = await reachMember(
      {
        ...this.#o,
        warn: (actions) => this.#warn(actions),
        version: (g) => this.#book.version(g),
      },
      to,
      group,
    );
    if (reached.kind !== "channel") return reached;
    this.#o.apply(firstContact(this.#o.trust, to.name, to.fingerprint), this.#o.sink);
    const peer: Peer = { name: to.name, fingerprint: to.fingerprint, key: to.key };
    const link = this.#open(peer, reached.channel, "pinned");
    this.#up(link);
    return { kind: "linked", link };
  }

  /** Opens the link over `channel` and tells the fan-out. */
  #open(peer: Peer, channel: SecureChannel, known: KeyStatus): GroupLink {
    const link = new GroupLink(peer, channel, {
      frame: (l, frame) =>
        this.#later(
          this.#book.handle({
            type: "frame",
            frame,
            from: l.peer,
            via: "link",
            known,
            now: this.#o.clock(),
          }),
          l,
        ),
      fault: (l, rule) =>
        this.#o.sink.emit({
          type: "security-warning",
          peer: l.peer.name,
          reason: "peer-protocol",
          expected: "",
          got: l.peer.fingerprint,
          detail: rule,
        }),
      ended: (l) => {
        this.#links.delete(l);
        this.#fanOut({ type: "link-down", link: l, now: this.#o.clock() });
      },
    });
    this.#links.add(link);
    this.#fanOut({ type: "link-up", member: peer, link });
    return link;
  }

  /** A member's incoming link is up: the book says what it should get. */
  #up(link: GroupLink): void {
    this.#later(this.#book.handle({ type: "link-up", peer: link.peer, now: this.#o.clock() }));
  }

  /** A group frame that came as mail, its sender proven by the mail room. */
  #mailed(mail: GroupMail): void {
    const from: Peer = {
      name: mail.from,
      fingerprint: mail.sender.fingerprint,
      key: mail.sender.key,
    };
    let frame;
    try {
      frame = decodeFrameValue(mail.frame);
    } catch (error) {
      if (!(error instanceof PeerProtocolError)) throw error;
      return this.#o.sink.emit({
        type: "security-warning",
        peer: from.name,
        reason: "peer-protocol",
        expected: "",
        got: from.fingerprint,
        detail: error.message,
      });
    }
    this.#later(
      this.#book.handle({
        type: "frame",
        frame,
        from,
        via: "mail",
        known: mail.known,
        now: this.#o.clock(),
      }),
    );
  }

  /** The trust rules' actions, each warning said once a session. */
  #warn(actions: readonly TrustAction[]): void {
    const fresh = actions.filter((a) => {
      if (a.type !== "warn") return true;
      const key = `${a.warning.peer}/${a.warning.reason}/${a.warning.expected}/${a.warning.got}`;
      if (this.#warned.has(key)) return false;
      this.#warned.add(key);
      return true;
    });
    this.#o.apply(fresh, this.#o.sink);
  }

  #track(work: Promise<unknown>): void {
    this.#inflight.add(work);
    work.finally(() => this.#inflight.delete(work));
  }

  #arm(at: number | undefined): void {
    clearTimeout(this.#timer);
    if (at === undefined || this.#quitting) return;
    this.#timer = setTimeout(
      () => this.#later(this.#book.handle({ type: "tick", now: this.#o.clock() })),
      Math.max(0, at - this.#o.clock()),
    );
  }
}
