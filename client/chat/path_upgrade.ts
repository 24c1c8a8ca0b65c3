/**
 * Moving relayed chats to a direct path (docs/protocol.md §11.1). While a
 * chat runs through the relay, each side keeps trying, with backoff and for a
 * bounded time, to reach the other directly; a direct connection that proves
 * the chat's key and names the chat's id (`resume`) carries the chat from
 * then on (`resumed`), and the relayed connection is closed. When both sides
 * get through at once, the move of the side with the lower fingerprint wins.
 *
 * @module
 */
import { abortable, delay } from "../../async/mod.ts";
import type { Fingerprint, Identity, SecureChannel } from "../../crypto/mod.ts";
import type { Name } from "../../protocol/mod.ts";
import type { Via } from "../core/mod.ts";
import type { Chat } from "./chat.ts";
import type { CheckedUser } from "../trust/mod.ts";
import { dialDirect, myMoveWins, receiveWithin, say } from "./peer_link.ts";
import { encodePeerMessage, type PeerMessage } from "./peer_messages.ts";

/** How long a relayed chat keeps trying to go direct. */
export const UPGRADE_WINDOW_MS = 120_000;
/** The first wait between direct attempts; it doubles up to UPGRADE_MAX_WAIT_MS. */
export const UPGRADE_FIRST_WAIT_MS = 500;
/** The longest wait between direct attempts. */
export const UPGRADE_MAX_WAIT_MS = 16_000;
/** How long a dialer waits for `resumed`. */
const RESUME_TIMEOUT_MS = 5_000;

/** The waits before each direct attempt within `windowMs`: 0.5 s, 1 s, 2 s, … up to the cap. */
export function upgradeSchedule(windowMs = UPGRADE_WINDOW_MS): number[] {
  const waits: number[] = [];
  let total = 0;
  for (let wait = UPGRADE_FIRST_WAIT_MS; total + wait <= windowMs;) {
    waits.push(wait);
    total += wait;
    wait = Math.min(UPGRADE_MAX_WAIT_MS, wait * 2);
  }
  return waits;
}

/** What the upgrader needs from the app. */
export type UpgradeContext = {
  /**
   * Whether chats may move at all: not with `--relay always`, whose user
   * asked for the relay for every chat, so a peer's `resume` is declined too.
   */
  moves: boolean;
  identity: Identity;
  ownName: Name;
  /** The directory's checked entry for `name`, or undefined. */
  lookup(name: Name): Promise<CheckedUser | undefined>;
  /** Tells the directory a relayed chat moved (it counts them). */
  reportUpgrade(token: string): void;
};

/** Per chat: the dial under way, and whether it is waiting for the peer's `resumed`. */
type Attempt = { stop: AbortController; awaitingResume: boolean };

/** Runs the direct attempts of every relayed chat and answers the peer's. */
export class PathUpgrader {
  readonly #context: UpgradeContext;
  readonly #attempts = new Map<Chat, Attempt>();
  /** Hole punching: per chat, our `resume`s on offered connections awaiting the answer. */
  readonly #offering = new Map<Chat, number>();
  /** Chats whose peer's move this side accepted: none of our own may complete after it. */
  readonly #accepted = new WeakSet<Chat>();

  /** Upgrades chats on behalf of the app described by `context`. */
  constructor(context: UpgradeContext) {
    this.#context = context;
  }

  /** Starts trying to move `chat` (relayed, with an id) to a direct path. */
  start(chat: Chat): void {
    if (
      !this.#context.moves || chat.path !== "relay" || chat.id === undefined ||
      this.#attempts.has(chat)
    ) return;
    const attempt: Attempt = { stop: new AbortController(), awaitingResume: false };
    this.#attempts.set(chat, attempt);
    chat.ended.then(() => attempt.stop.abort(new Error("the chat ended")));
    // #run ends quietly on its own; what rejects here is a wait the chat's end (or the peer's
    // winning move) aborted: a chat that does not move just stays where it is.
    this.#run(chat, attempt).catch(() => {}).finally(() => {
      if (this.#attempts.get(chat) === attempt) this.#attempts.delete(chat);
    });
  }

  async #run(chat: Chat, attempt: Attempt): Promise<void> {
    const { signal } = attempt.stop;
    for (const wait of upgradeSchedule()) {
      await delay(wait, signal);
      if (chat.path !== "relay" || chat.closing) return;
      let channel: SecureChannel | undefined;
      try {
        const user = await abortable(this.#context.lookup(chat.peer.name), signal);
        if (!user || user.fingerprint !== chat.peer.fingerprint) continue;
        channel = await dialDirect(user, this.#context.identity, signal);
        // Checked and flagged in one step, before `resume` leaves: once this side accepted the
        // peer's move (which aborts this attempt) it never asks for its own, and while its own
        // may be on the wire the peer's meets the tie-break. Otherwise each side could accept
        // the other's move and abort its own: both would move to a connection the other closed.
        if (signal.aborted || chat.path !== "relay" || chat.closing) {
          channel.abort();
          return;
        }
        attempt.awaitingResume = true;
        await say(channel, { type: "resume", name: this.#context.ownName, chat: chat.id! });
        const answer = await receiveWithin(channel, RESUME_TIMEOUT_MS, "resume-answer");
        attempt.awaitingResume = false;
        if (
          answer.type === "resumed" && !signal.aborted && !this.#accepted.has(chat) &&
          chat.migrate(channel, "direct")
        ) {
          if (chat.relayToken) this.#context.reportUpgrade(chat.relayToken);
          return;
        }
        channel.abort();
      } catch {
        // This attempt failed (unreachable, wrong key, no answer): the next one may not.
        attempt.awaitingResume = false;
        channel?.abort();
        if (signal.aborted) return;
      }
    }
  }

  /**
   * Hole punching (docs/protocol.md §11.2): a direct `channel` this side
   * opened by other means (a punch, proven to be the chat's key) is offered
   * to the peer with `resume`; resolves true once the chat moved onto it
   * (`path-changed` with `via`), false when it did not (the channel is then
   * closed). The tie-break with the peer's own move is resume()'s.
   */
  async offer(chat: Chat, channel: SecureChannel, via: Via, signal: AbortSignal): Promise<boolean> {
    if (!this.#mayMove(chat) || signal.aborted || this.#accepted.has(chat)) {
      channel.abort();
      return false;
    }
    // Counted before `resume` leaves, for the same reason as #run's awaitingResume.
    this.#offering.set(chat, (this.#offering.get(chat) ?? 0) + 1);
    const stop = (): void => channel.abort();
    signal.addEventListener("abort", stop, { once: true });
    try {
      await say(channel, { type: "resume", name: this.#context.ownName, chat: chat.id! });
      const answer = await receiveWithin(channel, RESUME_TIMEOUT_MS, "resume-answer");
      if (
        answer.type === "resumed" && !signal.aborted && !this.#accepted.has(chat) &&
        chat.path === "relay" && chat.migrate(channel, "direct", via)
      ) {
        if (chat.relayToken) this.#context.reportUpgrade(chat.relayToken);
        return true;
      }
    } catch {
      // Declined, cut or silent: the chat stays where it is, and the channel goes.
    } finally {
      signal.removeEventListener("abort", stop);
      const left = (this.#offering.get(chat) ?? 1) - 1;
      if (left === 0) this.#offering.delete(chat);
      else this.#offering.set(chat, left);
    }
    channel.abort();
    return false;
  }

  /**
   * The peer asks, on a new direct `channel` (dialed, or punched: `via`), to
   * move `chat` there. Accepts (answering `resumed` and moving) unless the
   * chat cannot move or our own move to the same peer is under way and wins
   * the tie-break. Resolves true once the chat moved.
   */
  resume(
    chat: Chat | undefined,
    channel: SecureChannel,
    request: PeerMessage,
    via: Via = "direct",
  ): Promise<boolean> {
    const refuse = (): Promise<boolean> => {
      // A peer that is gone before it hears the decline needs no answer; the channel closes anyway.
      channel.send(encodePeerMessage({ type: "decline", reason: "busy" }))
        .catch(() => {}).finally(() => channel.close());
      return Promise.resolve(false);
    };
    if (
      request.type !== "resume" || !chat || !this.#mayMove(chat) || chat.id !== request.chat ||
      channel.peer.fingerprint !== chat.peer.fingerprint || this.#accepted.has(chat)
    ) return refuse();
    const mine = this.#attempts.get(chat);
    const own = this.#context.identity.public.fingerprint;
    const asking = mine?.awaitingResume || this.#offering.has(chat);
    if (asking && myMoveWins(own, chat.peer.fingerprint as Fingerprint)) return refuse();
    this.#accepted.add(chat);
    mine?.stop.abort(new Error("the peer's move won"));
    return say(channel, { type: "resumed" }).then(
      () => chat.migrate(channel, "direct", via),
      () => {
        // The peer went before it heard `resumed`: it did not move either.
        this.#accepted.delete(chat);
        channel.abort();
        return false;
      },
    );
  }

  /** Whether `chat` may move now: relayed, open, with an id, and moves allowed at all. */
  #mayMove(chat: Chat): boolean {
    return this.#context.moves && chat.id !== undefined && chat.path === "relay" && !chat.closing;
  }
}
