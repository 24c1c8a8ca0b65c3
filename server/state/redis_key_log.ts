/**
 * An instance's view of the log shared through Redis (docs/protocol.md
 * §15.5): the log is started over the bindings Redis holds when it has no
 * entry yet, loaded and replayed into the map, and kept up to date from
 * every other instance's seals: their notices on the channel `log`, and a
 * poll every LOG_POLL_MS in case a notice is lost (pub/sub keeps nothing
 * for a connection that was away). Lapses are decided in the minute's
 * maintenance (redis_log_events.ts), as the single process collects them.
 *
 * @module
 */
import type { Redis } from "ioredis";
import { Identity } from "../../crypto/mod.ts";
import type { Logger } from "../ops/mod.ts";
import type { StateLogOptions } from "./directory_state.ts";
import { KeyLog } from "./key_log.ts";
import type { RedisBindings } from "./redis_bindings.ts";
import { RedisLogEvents } from "./redis_log_events.ts";
import { RedisLogStore } from "./redis_log_store.ts";

/** How often an instance reads what the others sealed, besides their notices. */
export const LOG_POLL_MS = 1_000;

/** The shared log, as one instance keeps it. */
export class SharedLog {
  readonly #store: RedisLogStore;
  readonly #events: RedisLogEvents;
  readonly #options: StateLogOptions & { clock: () => number; log: Logger };
  #log: KeyLog | undefined;
  readonly #loaded = Promise.withResolvers<KeyLog>();
  #poll: ReturnType<typeof setInterval> | undefined;

  /**
   * The log under `prefix` of `redis`, beside the bindings `bindings` keeps.
   * @internal
   */
  constructor(
    redis: Redis,
    bindings: RedisBindings,
    options: StateLogOptions & {
      prefix: string;
      nameTtlMs: number;
      clock: () => number;
      log: Logger;
    },
  ) {
    this.#store = new RedisLogStore(redis, options.prefix);
    this.#events = new RedisLogEvents(redis, bindings, options);
    this.#options = options;
  }

  /**
   * Loads the log; `sub` is the instance's subscriber connection.
   * @internal
   */
  async start(sub: Redis): Promise<void> {
    const { clock, identity } = this.#options;
    const event = this.#options.event ??
      ((name: string, fields: Record<string, string | number>) =>
        this.#options.log.event(name, fields));
    const adopted = await this.#events.adoptExisting();
    if (adopted > 0) event("transparency-started", { bindings: adopted });
    const log = await KeyLog.open(this.#store, {
      signer: identity ?? Identity.generate(),
      clock,
      event,
    });
    this.#log = log;
    await sub.subscribe(this.#store.channel);
    sub.on("message", (channel: string) => {
      if (channel === this.#store.channel) log.poke();
    });
    this.#poll = setInterval(() => log.poke(), LOG_POLL_MS);
    this.#loaded.resolve(log);
  }

  /** The log, once started. */
  get loaded(): Promise<KeyLog> {
    return this.#loaded.promise;
  }

  /** A script logged entries: the log's length is now `length` (0: nothing logged). */
  appended(length: number): void {
    if (length > 0) this.#log?.appendedUpTo(length);
  }

  /** Decides and logs the lapses due (redis_log_events.ts). */
  async lapses(): Promise<void> {
    this.appended(await this.#events.lapses());
  }

  /** Stops polling and sealing. */
  async close(): Promise<void> {
    clearInterval(this.#poll);
    await this.#log?.close();
  }
}
