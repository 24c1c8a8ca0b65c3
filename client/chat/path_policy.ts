/**
 * Which paths a chat to a peer tries, decided without I/O (docs/protocol.md
 * §11): a direct connection unless `--relay always`, the relay unless
 * `--relay never`, and when the relay joins the race. The relay starts at
 * once when the directory's view says the peer sits behind a NAT and a
 * direct attempt to that peer lost to the relay within
 * DIRECT_FAILURE_MEMORY_MS; else after a head start. The policy remembers
 * how each attempt was won (the `reached` event), and nothing else.
 *
 * @module
 */
import type { NameKey } from "../../protocol/mod.ts";
import type { Path } from "../core/mod.ts";
import type { RelayMode } from "../mod.ts";
import type { CheckedUser } from "../trust/mod.ts";

/** How long a failed direct attempt to a peer behind a NAT sends the next chat to the relay at once. */
export const DIRECT_FAILURE_MEMORY_MS = 10 * 60_000;
/** Most peers whose failed direct attempts are remembered at once; the oldest go first. */
export const MAX_REMEMBERED_FAILURES = 1000;

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
export function behindNat(user: Pick<CheckedUser, "address" | "addresses">): boolean {
  const announced = user.addresses.filter((a) => a !== user.address);
  return announced.length > 0 && !announced.includes(user.address) &&
    announced.every((a) => PRIVATE_ADDRESS.some((range) => range.test(a)));
}

/** The paths to try for one chat. */
export type PathPlan = {
  /** Try the listed addresses directly. */
  readonly direct: boolean;
  /** When the relay joins: never, after the direct attempt's head start, or at once. */
  readonly relay: "never" | "after-head-start" | "at-once";
};

/** What the policy learns: how an attempt to reach `peer` was won, at `at` (ms). */
export type PathEvent =
  | {
    readonly type: "reached";
    readonly peer: NameKey;
    readonly path: Path;
    readonly at: number;
  }
  /** Hole punching: how a punch with `peer` ended. */
  | {
    readonly type: "punched";
    readonly peer: NameKey;
    readonly result: "success" | "failed";
    readonly at: number;
  }
  /** Hole punching: a chat with `peer` that ran on a punched connection ended. */
  | { readonly type: "punched-ended"; readonly peer: NameKey; readonly at: number };

// Hole punching (docs/protocol.md §11.2).
/** How long a punch that failed with a peer keeps the next chats with it from punching. */
export const PUNCH_FAILURE_MEMORY_MS = 10 * 60_000;
/**
 * How long after a punched chat with a peer ended the next punch with it
 * waits. It runs between the same two ports, and a kernel or NAT still
 * closing the last connection answers the new SYNs with resets.
 */
export const PUNCH_REUSE_GRACE_MS = 300;

/** The path policy of one client: its `--relay` mode and the direct attempts that lost lately. */
export class PathPolicy {
  /** The `--relay` mode. */
  readonly mode: RelayMode;
  /** When a direct attempt to a peer last lost to the relay, oldest first. */
  readonly #lostAt = new Map<NameKey, number>();
  /** Hole punching: `--punch`. */
  readonly #punch: boolean;
  /** Hole punching: when a punch with a peer last failed, oldest first. */
  readonly #punchFailedAt = new Map<NameKey, number>();
  /** Hole punching: when a punched chat with a peer last ended, oldest first. */
  readonly #punchedEndedAt = new Map<NameKey, number>();

  /** A policy for `--relay mode` (and `--punch`, on unless `punch` is false). */
  constructor(mode: RelayMode, punch = true) {
    this.mode = mode;
    this.#punch = punch;
  }

  /**
   * Hole punching: whether relayed chats try to punch a direct path (with
   * `--punch on` and chats that may move, `--relay auto`).
   */
  get punches(): boolean {
    return this.#punch && this.moves;
  }

  /** Hole punching: whether to punch with `peer` at `now`: not when a punch failed lately. */
  mayPunch(peer: NameKey, now: number): boolean {
    const failed = this.#punchFailedAt.get(peer);
    return this.punches && (failed === undefined || now - failed >= PUNCH_FAILURE_MEMORY_MS);
  }

  /** Whether a relayed chat keeps looking for a direct path (only with `--relay auto`). */
  get moves(): boolean {
    return this.mode === "auto";
  }

  /** Whether to answer a peer's relay offer at all (not with `--relay never`). */
  get takesOffers(): boolean {
    return this.mode !== "never";
  }

  /** Hole punching: how long a punch with `peer` at `now` waits (a punched chat just ended). */
  punchWait(peer: NameKey, now: number): number {
    const ended = this.#punchedEndedAt.get(peer);
    return ended === undefined ? 0 : Math.max(0, ended + PUNCH_REUSE_GRACE_MS - now);
  }

  /** The paths to try for a chat with `user` at `now`. */
  plan(user: CheckedUser, now: number): PathPlan {
    if (this.mode === "always") return { direct: false, relay: "at-once" };
    if (this.mode === "never") return { direct: true, relay: "never" };
    const lost = this.#lostAt.get(user.peer);
    const recent = lost !== undefined && now - lost < DIRECT_FAILURE_MEMORY_MS;
    return { direct: true, relay: behindNat(user) && recent ? "at-once" : "after-head-start" };
  }

  /**
   * Learns how an attempt was won (a relay win is remembered, a direct one
   * forgets the peer), or how a punch ended (a failure is remembered).
   */
  handle(event: PathEvent): void {
    if (event.type === "punched") return remember(this.#punchFailedAt, event, event.result);
    if (event.type === "punched-ended") return ended(this.#punchedEndedAt, event);
    this.#lostAt.delete(event.peer);
    for (const [peer, at] of this.#lostAt) {
      if (event.at - at >= DIRECT_FAILURE_MEMORY_MS) this.#lostAt.delete(peer);
    }
    if (event.path !== "relay" || this.mode !== "auto") return;
    this.#lostAt.set(event.peer, event.at);
    if (this.#lostAt.size > MAX_REMEMBERED_FAILURES) {
      this.#lostAt.delete(this.#lostAt.keys().next().value!);
    }
  }
}

/** Hole punching: remembers a failure (bounded, oldest first out), forgets on success. */
function remember(
  failedAt: Map<NameKey, number>,
  event: { peer: NameKey; at: number },
  result: "success" | "failed",
): void {
  failedAt.delete(event.peer);
  for (const [peer, at] of failedAt) {
    if (event.at - at >= PUNCH_FAILURE_MEMORY_MS) failedAt.delete(peer);
  }
  if (result === "success") return;
  failedAt.set(event.peer, event.at);
  if (failedAt.size > MAX_REMEMBERED_FAILURES) failedAt.delete(failedAt.keys().next().value!);
}

/** Hole punching: remembers when a punched chat ended, for PUNCH_REUSE_GRACE_MS (bounded). */
function ended(endedAt: Map<NameKey, number>, event: { peer: NameKey; at: number }): void {
  endedAt.delete(event.peer);
  for (const [peer, at] of endedAt) {
    if (event.at - at >= PUNCH_REUSE_GRACE_MS) endedAt.delete(peer);
  }
  endedAt.set(event.peer, event.at);
  if (endedAt.size > MAX_REMEMBERED_FAILURES) endedAt.delete(endedAt.keys().next().value!);
}
