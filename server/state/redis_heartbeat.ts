/**
 * An instance's heartbeat in the shared store: a key renewed every second
 * that lapses INSTANCE_TTL_MS after the instance stops (SIGKILL, machine
 * gone), a count of the users online everywhere, and the sweep that takes
 * the users of instances whose heartbeat lapsed off every listing.
 *
 * @module
 */
import type { Redis } from "ioredis";
import type { Logger } from "../ops/mod.ts";
import { SWEEP } from "./redis_scripts.ts";

/** How long an instance counts as alive after its last heartbeat. */
export const INSTANCE_TTL_MS = 5_000;
/** How often an instance renews its heartbeat, counts the users online, and sweeps dead instances. */
export const HEARTBEAT_MS = 1_000;

/** Who beats, and where. */
export type HeartbeatOptions = {
  readonly prefix: string;
  readonly instance: string;
  readonly clock: () => number;
  /** How long Redis keeps a swept user's binding before collecting it. */
  readonly collectAfterMs: number;
  readonly log: Logger;
};

type Sweep = (...args: (string | number)[]) => Promise<number>;

/** One instance's heartbeat. */
export class Heartbeat {
  readonly #redis: Redis;
  readonly #options: HeartbeatOptions;
  #total = 0;

  /**
   * The heartbeat of `options.instance` in `redis`.
   * @internal
   */
  constructor(redis: Redis, options: HeartbeatOptions) {
    this.#redis = redis;
    this.#options = options;
    redis.defineCommand("p2pSweep", { numberOfKeys: 2, lua: SWEEP });
  }

  /** Users online on every instance, as last counted. */
  get total(): number {
    return this.#total;
  }

  #key(kind: string, id?: string): string {
    return id === undefined
      ? `${this.#options.prefix}${kind}`
      : `${this.#options.prefix}${kind}:${id}`;
  }

  /**
   * Renews this instance's heartbeat, counts the users online and sweeps
   * dead instances. Answers whether this instance had been swept itself (its
   * heartbeat lapsed, or the store lost its data): its users must be put back.
   */
  async beat(): Promise<{ swept: boolean }> {
    const { instance, clock } = this.#options;
    const results = await this.#redis.multi()
      .set(this.#key("i", instance), String(clock()), "PX", INSTANCE_TTL_MS)
      .sadd(this.#key("instances"), instance)
      .zcard(this.#key("online"))
      .exec();
    if (!results) throw new Error("the store aborted the heartbeat");
    for (const [error] of results) if (error) throw error;
    this.#total = Number(results[2][1]);
    const swept = Number(results[1][1]) === 1;
    const removed = await (this.#redis as unknown as { p2pSweep: Sweep }).p2pSweep(
      this.#key("instances"),
      this.#key("online"),
      this.#options.prefix,
      this.#options.collectAfterMs,
      instance,
    );
    if (removed > 0) {
      this.#options.log.event("swept", { users: removed, reason: "instance-gone" });
    }
    return { swept };
  }

  /** Removes this instance's heartbeat, so that others sweep its users at once. */
  async stop(): Promise<void> {
    await this.#redis.del(this.#key("i", this.#options.instance));
  }
}
