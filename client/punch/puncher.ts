/**
 * The shell around one chat's punch machine (docs/protocol.md §11.2): it
 * feeds the machine what the relayed chat hears and its one timer, and
 * carries out what it decides: punch messages said on the chat, the dial at
 * the agreed instant (the simultaneous open, the handshake, the move by
 * `resume` as in §11.1), the report to the directory, the user told once.
 *
 * @module
 */
import { delay } from "../../async/mod.ts";
import type { Fingerprint, Identity, SecureChannel } from "../../crypto/mod.ts";
import type { PunchResult } from "../../protocol/mod.ts";
import {
  type Chat,
  encodePeerMessage,
  myMoveWins,
  type PathPolicy,
  type PathUpgrader,
  type PeerMessage,
  receiveWithin,
} from "../chat/mod.ts";
import type { EventSink, PunchFailure } from "../core/mod.ts";
import type { SeenFrom } from "../directory/mod.ts";
import {
  PunchAttemptError,
  type PunchDial,
  punchedChannel,
  simultaneousOpen,
} from "./punch_dial.ts";
import {
  type Endpoint,
  type PunchAction,
  type PunchEvent,
  PunchMachine,
  type PunchOutcome,
} from "./punch_machine.ts";

/** How long the follower waits on the punched connection for the leader's `resume`. */
export const PUNCH_RESUME_WAIT_MS = 3_000;

/** What a punch needs of the client. */
export type PunchContext = {
  readonly identity: Identity;
  /** Where the directory connection leaves from and is seen, while it is up. */
  seenFrom(): SeenFrom | undefined;
  /** Moves chats onto new connections (§11.1), ours or the peer's. */
  readonly upgrader: Pick<PathUpgrader, "offer" | "resume">;
  /** Whether to punch with a peer, and what punches taught. */
  readonly policy: Pick<PathPolicy, "mayPunch" | "punchWait" | "handle">;
  /** Tells the directory how a punch ended (the leader's count). */
  report(result: PunchResult): void;
  /** Where the user hears of a punch that failed. */
  readonly sink: EventSink;
  readonly clock: () => number;
  /** Opens the punched connection (default: the simultaneous open; tests give their own). */
  readonly dial?: PunchDial;
};

/** One chat's punch. */
export class Puncher {
  readonly #chat: Chat;
  /** The relayed connection the chat opened on: where the punch's messages go. */
  readonly #relayed: SecureChannel;
  readonly #ctx: PunchContext;
  readonly #machine: PunchMachine;
  readonly #stop = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The dial under way, to give up when a new attempt begins. */
  #dialing: AbortController | undefined;
  /** Whether the user was told of a key that answered in the peer's place (once a chat). */
  #warned = false;

  /**
   * A punch for `chat` (relayed over `relayed`, with an id); its role comes
   * from the two fingerprints.
   */
  constructor(chat: Chat, relayed: SecureChannel, ctx: PunchContext) {
    this.#chat = chat;
    this.#relayed = relayed;
    this.#ctx = ctx;
    const own = ctx.identity.public.fingerprint;
    const role = myMoveWins(own, chat.peer.fingerprint as Fingerprint) ? "leader" : "follower";
    this.#machine = new PunchMachine(role, {
      own: () => ownEnd(ctx.seenFrom()),
      mayPunch: () => ctx.policy.mayPunch(chat.peer.key, ctx.clock()),
    });
    chat.ended.then(() => {
      this.stop();
      // The next punch with this peer runs between the same ports: it lets this one close first.
      if (chat.via === "punched") {
        ctx.policy.handle({ type: "punched-ended", peer: chat.peer.key, at: ctx.clock() });
      }
    });
  }

  /**
   * Begins: the leader asks (unless a punch with this peer failed lately;
   * after the last punched connection with it had time to close); the
   * follower waits.
   */
  start(): void {
    if (this.#machine.role !== "leader") return;
    const { policy, clock } = this.#ctx;
    const peer = this.#chat.peer.key;
    if (!policy.mayPunch(peer, clock())) return this.#feed({ type: "stop" });
    // Stopped meanwhile: the wait rejects, and there is nothing to start.
    delay(policy.punchWait(peer, clock()), this.#stop.signal).then(
      () => this.#feed({ type: "start", now: clock() }),
      () => {},
    );
  }

  /** A message the chat does not know: true when it was the punch's (taken). */
  take(message: PeerMessage): boolean {
    const now = this.#ctx.clock();
    if (message.type === "punch-sync") {
      this.#feed({ type: "sync", attempt: message.attempt, now });
      return true;
    }
    if (message.type !== "punch-connect") return false;
    const peer = message.address === undefined || message.port === undefined
      ? undefined
      : { address: message.address, port: message.port };
    this.#feed({ type: "connect", attempt: message.attempt, ...(peer ? { peer } : {}), now });
    return true;
  }

  /** Gives up quietly (the chat ended, or the user quit). */
  stop(): void {
    this.#feed({ type: "stop" });
  }

  #feed(event: PunchEvent): void {
    // A chat that moved another way, or is ending, needs no punch; one that moved by ours goes on.
    const ours = event.type === "dialed" && event.outcome === "moved";
    const gone = this.#chat.path !== "relay" || this.#chat.closing;
    for (const action of this.#machine.handle(gone && !ours ? { type: "stop" } : event)) {
      this.#carry(action);
    }
  }

  #carry(action: PunchAction): void {
    switch (action.type) {
      case "say":
        // A relayed chat whose send fails ends for its own reasons; the punch stops with it.
        this.#relayed.send(encodePeerMessage(action.message)).catch(() => {});
        return;
      case "timer":
        clearTimeout(this.#timer);
        if (action.at !== undefined) {
          this.#timer = setTimeout(
            () => this.#feed({ type: "timer", now: this.#ctx.clock() }),
            Math.max(0, action.at - this.#ctx.clock()),
          );
        }
        return;
      case "dial":
        this.#dial(action.attempt, action.peer, action.at);
        return;
      case "cancel-dial":
        this.#dialing?.abort(new Error("the punch moved on"));
        return;
      case "report":
        this.#ctx.report(action.result);
        return;
      case "done":
        this.#stop.abort(new Error("the punch is over"));
        return this.#done(action.outcome);
    }
  }

  #done(outcome: PunchOutcome): void {
    if (outcome.result === "skipped") return;
    const peer = this.#chat.peer;
    this.#ctx.policy.handle({
      type: "punched",
      peer: peer.key,
      result: outcome.result,
      at: this.#ctx.clock(),
    });
    if (outcome.result === "failed") {
      this.#ctx.sink.emit({
        type: "punch-failed",
        peer: peer.name,
        attempts: outcome.attempts,
        detail: outcome.detail,
      });
    }
  }

  /** One attempt's dial at `at`; its outcome goes back to the machine. */
  async #dial(attempt: number, peer: Endpoint, at: number): Promise<void> {
    const dialing = new AbortController();
    this.#dialing = dialing;
    const signal = AbortSignal.any([dialing.signal, this.#stop.signal]);
    let outcome: "moved" | PunchFailure;
    try {
      await delay(Math.max(0, at - this.#ctx.clock()), signal);
      outcome = await this.#punch(peer, signal) ? "moved" : "not-moved";
    } catch (error) {
      // Given up (a new attempt, the punch over): the machine has moved on already.
      if (signal.aborted) return;
      if (!(error instanceof PunchAttemptError)) throw error;
      if (error.failure === "unexpected-key") this.#warn(error.got ?? "");
      outcome = error.failure;
    } finally {
      if (this.#dialing === dialing) this.#dialing = undefined;
    }
    this.#feed({ type: "dialed", attempt, outcome, now: this.#ctx.clock() });
  }

  /** The simultaneous open, the handshake and the move; true once the chat moved onto it. */
  async #punch(peer: Endpoint, signal: AbortSignal): Promise<boolean> {
    const from = this.#ctx.seenFrom()?.local;
    if (!from?.reusable) throw new PunchAttemptError("refused");
    const transport = await (this.#ctx.dial ?? simultaneousOpen)(peer, from, signal);
    const role = this.#machine.role;
    const channel = await punchedChannel(transport, role, {
      identity: this.#ctx.identity,
      expected: this.#chat.peer.fingerprint,
      signal,
    });
    if (role === "leader") {
      return await this.#ctx.upgrader.offer(this.#chat, channel, "punched", signal);
    }
    return await this.#awaitResume(channel, signal);
  }

  /** Follower: the leader's `resume` on the punched channel, handed to the upgrader. */
  async #awaitResume(channel: SecureChannel, signal: AbortSignal): Promise<boolean> {
    const stop = (): void => channel.abort();
    signal.addEventListener("abort", stop, { once: true });
    try {
      const first = await receiveWithin(channel, PUNCH_RESUME_WAIT_MS, "resume-answer");
      if (first.type !== "resume" || signal.aborted) throw new Error("no resume");
      return await this.#ctx.upgrader.resume(this.#chat, channel, first, "punched");
    } catch {
      // Silent, cut, or something else than resume: the chat stays relayed.
      channel.abort();
      return false;
    } finally {
      signal.removeEventListener("abort", stop);
    }
  }

  /** Tells the user, once a chat, that another key answered at the peer's address. */
  #warn(got: string): void {
    if (this.#warned) return;
    this.#warned = true;
    this.#ctx.sink.emit({
      type: "security-warning",
      peer: this.#chat.peer.name,
      reason: "unexpected-key",
      expected: this.#chat.peer.fingerprint,
      got,
      detail: "punch",
    });
  }
}

/** Where this side can punch from: its observed address, when its port can dial again. */
function ownEnd(seen: SeenFrom | undefined): Endpoint | undefined {
  return seen?.local.reusable ? seen.observed : undefined;
}
