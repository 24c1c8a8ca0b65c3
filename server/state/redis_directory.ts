/**
 * The directory's state shared by any number of `serve` instances through
 * Redis (docs/operations.md): bindings and presence live in Redis, bindings
 * decided by binding_rules.ts as in the single process (redis_bindings.ts);
 * each instance keeps just its own sessions. Instances tell each other
 * things through pub/sub (a name replaced by a newer session elsewhere, a
 * relay offer for a user online here), prove they are alive with a
 * heartbeat (redis_heartbeat.ts), and remove the users of an instance whose
 * heartbeat stopped.
 *
 * While Redis is unreachable, requests that need it fail at once with
 * `store-unavailable`; sessions and chats go on; on reconnecting, the
 * instance puts its users back online through the same rules as a new
 * registration, and tells a session whose name another key took meanwhile.
 *
 * @module
 */
import type { Redis } from "ioredis";
import {
  DirectoryError,
  type Name,
  type NameKey,
  nameKey,
  type UserEntry,
  type WirePrekey,
} from "../../protocol/mod.ts";
import { errorMessage } from "../../errors/mod.ts";
import type { DirectoryState, Located, StateLogOptions } from "./directory_state.ts";
import type { Logger } from "../ops/mod.ts";
import { type BoundName, type ProvenKey, userEntry, type Where } from "./registry.ts";
import { alreadyRegistered, listWindow, refreshDue, refusalFor } from "./binding_rules.ts";
import { RedisPresences } from "./redis_presence.ts";
import {
  DEFAULT_PREFIX,
  openRedisPair,
  persistenceWarning,
  storeUnavailable,
} from "./redis_connection.ts";
import { InstanceChannels, type InstanceMessage } from "./redis_channel.ts";
import { RedisBindings } from "./redis_bindings.ts";
import { storedEntry } from "./redis_entries.ts";
import { Heartbeat, HEARTBEAT_MS } from "./redis_heartbeat.ts";
import { type LocalSession, LocalSessions, restoreSessions } from "./redis_local_sessions.ts";
import type { KeyLog } from "./key_log.ts";
import { SharedLog } from "./redis_key_log.ts";

/** How to reach the store and who this instance is. */
export type RedisDirectoryOptions = {
  /** `redis://[user:pass@]HOST:PORT[/DB]` or `rediss://…`. */
  url: string;
  nameTtlMs: number;
  log: Logger;
  /** Key prefix (tests isolate themselves with it). */
  prefix?: string;
  /** The time every rule is decided at (default Date.now). */
  clock?: () => number;
  /** How often the heartbeat runs (default HEARTBEAT_MS; tests slow it down). */
  heartbeatMs?: number;
} & StateLogOptions;

/** Bindings and presence in Redis, shared by every instance. */
export class RedisDirectory<S extends LocalSession> implements DirectoryState<S> {
  /** This instance's id in the store. */
  readonly instance: string;
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #options: RedisDirectoryOptions;
  readonly #prefix: string;
  readonly #clock: () => number;
  readonly #bindings: RedisBindings;
  readonly #heartbeat: Heartbeat;
  readonly #channels: InstanceChannels;
  readonly #presences: RedisPresences;
  readonly #sessions = new LocalSessions<S>();
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  readonly #shared: SharedLog;
  #errors = 0;
  #down = false;
  #closed = false;
  #reasserting = false;
  /** A re-assertion failed part way: the next heartbeat tries again. */
  #reassertAgain = false;

  private constructor(redis: Redis, sub: Redis, options: RedisDirectoryOptions) {
    this.instance = crypto.randomUUID().slice(0, 8);
    this.#redis = redis;
    this.#sub = sub;
    this.#options = options;
    this.#prefix = options.prefix ?? DEFAULT_PREFIX;
    this.#clock = options.clock ?? Date.now;
    this.#bindings = new RedisBindings(redis, {
      prefix: this.#prefix,
      nameTtlMs: options.nameTtlMs,
      clock: this.#clock,
    });
    this.#heartbeat = new Heartbeat(redis, {
      prefix: this.#prefix,
      instance: this.instance,
      clock: this.#clock,
      collectAfterMs: this.#bindings.collectAfterMs,
      log: options.log,
    });
    this.#channels = new InstanceChannels(redis, sub, this.#prefix);
    this.#presences = new RedisPresences(redis, {
      ...options,
      prefix: this.#prefix,
      instance: this.instance,
    });
    this.#shared = new SharedLog(redis, this.#bindings, {
      ...options,
      prefix: this.#prefix,
      clock: this.#clock,
    });
    // Connection errors are not requests: logged once per outage, not counted.
    for (const client of [redis, sub]) {
      client.on("error", (error: Error) => this.#failed("connection", error, false));
    }
  }

  /**
   * Connects to the store; throws StoreError `store-unreachable` (or
   * `store-auth-failed`) naming the URL (password hidden) when it cannot.
   * Warns when Redis keeps no data on disk (neither AOF nor snapshots):
   * bindings would not survive its restart.
   */
  static async connect<S extends LocalSession>(
    options: RedisDirectoryOptions,
  ): Promise<RedisDirectory<S>> {
    const [redis, sub] = await openRedisPair(options.url);
    const state = new RedisDirectory<S>(redis, sub, options);
    await state.#start();
    return state;
  }

  async #start(): Promise<void> {
    const unsafe = await persistenceWarning(this.#redis);
    if (unsafe) this.#options.log.event("warning", { problem: "no-persistence", action: unsafe });
    await this.#channels.listen(this.instance, (message) => this.#sessions.deliver(message));
    await this.#shared.start(this.#sub);
    await this.#heartbeat.beat();
    const every = this.#options.heartbeatMs ?? HEARTBEAT_MS;
    this.#timers.push(setInterval(() => this.#beat(), every));
    // Back from an outage: our heartbeat may have lapsed and our users been swept.
    this.#redis.on("ready", () => this.#recoverInBackground());
    this.#options.log.event("store", { kind: "redis", instance: this.instance });
  }

  /** The shared log (redis_key_log.ts), loaded before the instance serves anyone. */
  keyLog = (): Promise<KeyLog> => this.#shared.loaded;

  /**
   * A store request that failed outside any client's request: counted, and
   * logged once per outage (the heartbeat fails every second while it lasts).
   */
  #failed(op: string, error: unknown, count = true): void {
    if (count) this.#errors++;
    if (this.#down || this.#closed) return;
    this.#down = true;
    this.#options.log.event("store-down", { op, error: errorMessage(error) });
  }

  /** Runs a store request for a client; its failure is `store-unavailable`, counted. */
  async #store<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      this.#errors++;
      throw storeUnavailable(error);
    }
  }

  /** Users online on this instance. */
  get localCount(): number {
    return this.#sessions.size;
  }

  /** Users online on every instance, as the heartbeat last counted them. */
  get totalCount(): number {
    return this.#heartbeat.total;
  }

  /** Whether the store answers now. */
  get storeUp(): boolean {
    return this.#redis.status === "ready";
  }

  /** Store requests that failed, a client's or the instance's own. */
  get storeErrors(): number {
    return this.#errors;
  }

  /** Whether `session` registered on this instance. */
  isRegistered(session: S): boolean {
    return this.#sessions.get(session) !== undefined;
  }

  /** Puts `session` online under `name`, decided by binding_rules.ts (DirectoryState.register). */
  async register(
    session: S,
    name: Name,
    key: ProvenKey,
    where: Where,
    prekey?: WirePrekey,
  ): Promise<{ entry: UserEntry; replaced?: S }> {
    if (this.#sessions.get(session)) throw alreadyRegistered();
    const folded = nameKey(name);
    const entry = userEntry(name, key, where);
    const stored = storedEntry(entry);
    const outcome = await this.#store(() =>
      this.#bindings.claim({
        name,
        key: key.base64,
        prekey,
        entry: stored,
        instance: this.instance,
        session: String(session.id),
        mode: "register",
      })
    );
    if (outcome.kind === "refused") throw refusalFor(outcome.decision, name);
    if (outcome.kind === "replaced") throw new TypeError("a registration cannot be replaced");
    this.#shared.appended(outcome.logged);
    let replaced: S | undefined;
    if (outcome.oldInstance === this.instance) {
      const previous = this.#sessions.holding(folded);
      if (previous && String(previous.id) === outcome.oldSession && previous !== session) {
        this.#sessions.forget(previous);
        replaced = previous;
      }
    } else if (outcome.oldInstance) {
      await this.#publish(outcome.oldInstance, {
        t: "replace",
        key: folded,
        x: outcome.oldSession,
      });
    }
    this.#sessions.add(session, {
      key: folded,
      entry,
      stored,
      binding: key,
      prekey,
      lastUsed: outcome.lastUsed,
    });
    return replaced ? { entry, replaced } : { entry };
  }

  /** Takes `session` offline; while the store is away, its presence is removed on its return. */
  async leave(session: S): Promise<string | undefined> {
    const mine = this.#sessions.forget(session);
    if (!mine) return undefined;
    try {
      await this.#store(() => this.#leave(mine.key, String(session.id), mine.binding.base64));
    } catch (error) {
      // Removed when the store is back, so that no ghost is left listed.
      this.#sessions.leftWhileAway(String(session.id), {
        key: mine.key,
        binding: mine.binding.base64,
      });
      throw error;
    }
    return mine.entry.name;
  }

  #leave(key: NameKey, session: string, binding: string): Promise<void> {
    return this.#presences.leave(key, {
      session,
      binding,
      now: this.#clock(),
      collectAfterMs: this.#bindings.collectAfterMs,
    });
  }

  /** The online user called `name`, on any instance. */
  async lookup(name: Name): Promise<UserEntry | undefined> {
    return (await this.#store(() => this.#presences.get(nameKey(name))))?.entry;
  }

  /** A page of the users online on every instance (binding_rules.ts decides the page). */
  list(
    options: { prefix?: string; limit: number; after?: string },
  ): Promise<{ users: UserEntry[]; more: boolean }> {
    return this.#store(() => this.#presences.page(listWindow(options)));
  }

  /** Where the online user `name` is: a session here, or one on another instance. */
  locate(name: Name): Promise<Located<S> | undefined> {
    return this.#store(() =>
      this.#presences.locate(nameKey(name), (key) => this.#sessions.holding(key))
    );
  }

  /** Hands a relay offer to a user online on another instance. */
  async offerRemote(
    to: { instance: string; session: number; key: NameKey },
    offer: { from: string; token: string; relay: string; budget?: number },
  ): Promise<void> {
    const message = { t: "offer", key: to.key, x: String(to.session), ...offer } as const;
    if (await this.#publish(to.instance, message) === 0) {
      throw new DirectoryError("not-found", "That user's directory instance is gone");
    }
  }

  /** Tells a user online on another instance that mail is waiting. */
  async pokeMail(to: { instance: string; session: number; key: NameKey }): Promise<void> {
    await this.#publish(to.instance, { t: "mail", key: to.key, x: String(to.session) });
  }

  /** The live binding of `name` and the prekey kept with it (DirectoryState.binding). */
  binding(name: Name): Promise<BoundName | undefined> {
    return this.#store(() => this.#bindings.binding(name));
  }

  /** The binding a legacy spelling names, if it is live and `key`'s. */
  legacyName(text: string, key: ProvenKey): Promise<Name | undefined> {
    return this.#store(() => this.#bindings.legacyName(text, key.base64));
  }

  /**
   * Rewrites the last use of the bindings online here whose refresh is due
   * (binding_rules.ts), as the single process does; dead instances are
   * swept by the heartbeat, lapsed bindings collected by Redis (and their
   * lapses logged first, redis_log_events.ts).
   */
  async maintain(): Promise<void> {
    await this.#store(() => this.#shared.lapses());
    const now = this.#clock();
    const due = this.#sessions.entries().map(([, mine]) => mine).filter((mine) =>
      refreshDue(mine.lastUsed, now, this.#options.nameTtlMs)
    );
    if (due.length === 0) return;
    try {
      await this.#bindings.touch(due.map((mine) => [mine.key, mine.binding.base64] as const));
    } catch (error) {
      this.#failed("refresh", error);
      throw storeUnavailable(error);
    }
    for (const mine of due) mine.lastUsed = now;
  }

  /** Stops the timers, removes this instance's heartbeat, and disconnects. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#timers.forEach(clearInterval);
    await this.#shared.close();
    // Safe to drop: without it, the heartbeat lapses in INSTANCE_TTL_MS and others sweep us then.
    await this.#heartbeat.stop().catch((error) => this.#failed("close", error));
    this.#sub.disconnect();
    this.#redis.disconnect();
  }

  async #publish(instance: string, message: InstanceMessage): Promise<number> {
    return await this.#store(() => this.#channels.publish(instance, message));
  }

  /** One heartbeat; a failure is counted and logged once per outage. */
  #beat(): void {
    this.#heartbeat.beat().then(({ swept }) => {
      if (this.#down || this.#reassertAgain || swept) {
        // Another instance swept us (our heartbeat lapsed), or the store lost its data.
        this.#recoverInBackground();
      }
    }, (error) => this.#failed("heartbeat", error));
  }

  #recoverInBackground(): void {
    if (this.#closed) return;
    this.recover().catch((error) => {
      this.#reassertAgain = true;
      this.#failed("reassert", error);
    });
  }

  /**
   * Puts every session of this instance back online after the store was
   * away or lost its data, through the same rules as a new registration: a
   * session whose name another key took meanwhile, or that now looks like
   * another key's, is told why and closed. Runs by itself when the store
   * comes back; public so that tests need not wait for the heartbeat.
   */
  async recover(): Promise<void> {
    if (this.#reasserting || this.#closed) return;
    this.#reasserting = true;
    this.#reassertAgain = false;
    try {
      await this.#heartbeat.beat();
      await restoreSessions(this.#sessions, {
        bindings: this.#bindings,
        instance: this.instance,
        log: this.#options.log,
        leave: (key, session, binding) => this.#leave(key, session, binding),
      });
      this.#down = false;
      this.#options.log.event("store-restored", { users: this.#sessions.size });
    } finally {
      this.#reasserting = false;
    }
  }
}
