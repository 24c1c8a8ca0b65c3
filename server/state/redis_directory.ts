/**
 * The directory's state shared by any number of `serve` instances through
 * Redis (docs/operations.md): bindings and presence live in Redis, changed
 * only by the atomic scripts of redis_scripts.ts; each instance keeps just
 * its own sessions. Instances tell each other things through pub/sub (a
 * name replaced by a newer session elsewhere, a relay offer for a user
 * online here), prove they are alive with a heartbeat key, and remove the
 * users of an instance whose heartbeat stopped.
 *
 * The Redis client is ioredis: protocol, reconnection, pipelining and
 * scripts are its job. While Redis is unreachable, requests that need it
 * fail at once with `store-unavailable`; sessions and chats go on; on
 * reconnecting, the instance puts its users back online.
 *
 * @module
 */
import { Redis } from "ioredis";
import {
  type CloseReason,
  DirectoryError,
  type Name,
  type NameKey,
  nameKey,
  nameSkeleton,
  type Notice,
  type UserEntry,
} from "../../protocol/mod.ts";
import { isLegacyName } from "../../protocol/mod.ts";
import { fingerprintOf, fromBase64 } from "../../crypto/mod.ts";
import { errorMessage } from "../../errors/mod.ts";
import type { DirectoryState, Located, Where } from "./directory_state.ts";
import { StoreError } from "./errors.ts";
import type { Logger } from "../ops/mod.ts";
import { type ProvenKey, refusal, userEntry } from "./registry.ts";
import { IMPORT, LEAVE, LIST, REASSERT, REGISTER, SWEEP } from "./redis_scripts.ts";

/** How long an instance counts as alive after its last heartbeat. */
export const INSTANCE_TTL_MS = 5_000;
/** How often an instance renews its heartbeat, counts the users online, and sweeps dead instances. */
export const HEARTBEAT_MS = 1_000;
/** How often, at most, the bindings of users online here have their TTL renewed. */
const BINDING_REFRESH_MS = 3_600_000;
/** Where p2pchat's keys start in Redis. */
export const DEFAULT_PREFIX = "p2pchat:";
/** Longest a store request may take before it counts as failed. */
const COMMAND_TIMEOUT_MS = 2_000;

/** What the shared state needs of a session here. */
export interface LocalSession {
  readonly id: number;
  /** Tells the client why, then closes. */
  end(reason: CloseReason, message: string): Promise<void>;
  /** Sends an unsolicited notice. */
  notify(notice: Notice): void;
  /** Delivers mail that arrived for this user. */
  checkMail(): void;
}

/** How to reach the store and who this instance is. */
export type RedisDirectoryOptions = {
  /** `redis://[user:pass@]HOST:PORT[/DB]` or `rediss://…`. */
  url: string;
  nameTtlMs: number;
  log: Logger;
  /** Key prefix (tests isolate themselves with it). */
  prefix?: string;
};

/** A store URL with its password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "the store URL";
  }
}

type Script = (...args: (string | number)[]) => Promise<unknown>;

/**
 * A user entry as kept in Redis: a JSON array without field names or the
 * fingerprint (recomputed from the key), to keep Redis near 0.7 KiB a user.
 */
function storedEntry(entry: UserEntry): string {
  return JSON.stringify([entry.name, entry.address, entry.port, entry.key, entry.addresses ?? []]);
}

/** A presence as kept in Redis: `<instance> <session> <entry>`. */
function parsePresence(value: string): { instance: string; session: number; entry: UserEntry } {
  const first = value.indexOf(" ");
  const second = value.indexOf(" ", first + 1);
  const [name, address, port, key, addresses] = JSON.parse(value.slice(second + 1)) as [
    string,
    string,
    number,
    string,
    string[],
  ];
  return {
    instance: value.slice(0, first),
    session: Number(value.slice(first + 1, second)),
    entry: { name, address, port, key, fingerprint: fingerprintOf(fromBase64(key)), addresses },
  };
}

/**
 * A connected Redis client for `url`: no offline queue (a request while the
 * store is away fails at once), reconnecting by itself with backoff. Throws
 * StoreError `store-unreachable` naming the URL, password hidden.
 */
export async function openRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(2000, 100 * times),
  });
  // ioredis also reports connection errors as events; its callers report them instead.
  redis.on("error", () => {});
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw new StoreError(
      "store-unreachable",
      `Cannot reach the store at ${redactUrl(url)}: ${errorMessage(error)}; ` +
        "start Redis or fix --store",
    );
  }
}

/**
 * Imports one binding into the store at `redis` (`p2pchat store copy`): it
 * keeps the time it has left. Never replaces a binding to another key.
 */
export async function importBinding(
  redis: Redis,
  binding: { name: Name; publicKey: string; lastUsed: number },
  options: { nameTtlMs: number; now: number; prefix?: string },
): Promise<"copied" | "present" | "conflict" | "expired"> {
  const left = binding.lastUsed + options.nameTtlMs - options.now;
  if (left <= 0) return "expired";
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const folded = nameKey(binding.name);
  const skeleton = nameSkeleton(binding.name);
  return await redis.eval(
    IMPORT,
    2,
    `${prefix}b:${folded}`,
    `${prefix}sk`,
    folded,
    binding.name,
    binding.publicKey,
    skeleton,
    Math.ceil(left),
  ) as "copied" | "present" | "conflict";
}

/** Bindings and presence in Redis, shared by every instance. */
export class RedisDirectory<S extends LocalSession> implements DirectoryState<S> {
  readonly instance: string;
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #options: RedisDirectoryOptions;
  readonly #prefix: string;
  readonly #sessions = new Map<
    S,
    { key: NameKey; entry: UserEntry; stored: string; binding: ProvenKey }
  >();
  readonly #byKey = new Map<NameKey, S>();
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  /** Sessions that left while the store was away: their presences are removed on its return. */
  readonly #pendingLeaves = new Map<string, NameKey>();
  #total = 0;
  #errors = 0;
  #closed = false;
  #started = false;
  #reasserting = false;

  private constructor(redis: Redis, sub: Redis, options: RedisDirectoryOptions) {
    this.instance = crypto.randomUUID().slice(0, 8);
    this.#redis = redis;
    this.#sub = sub;
    this.#options = options;
    this.#prefix = options.prefix ?? DEFAULT_PREFIX;
  }

  /**
   * Connects to the store; throws StoreError `store-unreachable` naming the
   * URL (password hidden) when it cannot. Warns when Redis keeps no data on
   * disk (neither AOF nor snapshots): bindings would not survive its restart.
   */
  static async connect<S extends LocalSession>(
    options: RedisDirectoryOptions,
  ): Promise<RedisDirectory<S>> {
    const redis = await openRedis(options.url);
    let sub: Redis;
    try {
      sub = await openRedis(options.url);
    } catch (error) {
      redis.disconnect();
      throw error;
    }
    const state = new RedisDirectory<S>(redis, sub, options);
    await state.#start();
    return state;
  }

  async #start(): Promise<void> {
    const scripts = [
      ["register", REGISTER, 5],
      ["reassert", REASSERT, 5],
      ["leave", LEAVE, 4],
      ["list", LIST, 1],
      ["sweep", SWEEP, 2],
    ] as const;
    for (const [name, lua, numberOfKeys] of scripts) {
      this.#redis.defineCommand(name, { numberOfKeys, lua });
    }
    await this.#warnWithoutPersistence();
    await this.#sub.subscribe(this.#channel(this.instance));
    this.#sub.on("message", (_channel, message) => this.#onMessage(message));
    await this.#heartbeat();
    this.#timers.push(setInterval(() => this.#heartbeat().catch(() => {}), HEARTBEAT_MS));
    this.#timers.push(
      setInterval(
        () => this.#refreshBindings().catch(() => {}),
        Math.min(BINDING_REFRESH_MS, this.#options.nameTtlMs / 2),
      ),
    );
    // Back from an outage: our heartbeat may have lapsed and our users been swept.
    this.#redis.on("ready", () => {
      if (!this.#closed) this.#reassert().catch(() => {});
    });
    this.#started = true;
    this.#options.log.event("store", { kind: "redis", instance: this.instance });
  }

  async #warnWithoutPersistence(): Promise<void> {
    try {
      const [, aof] = await this.#redis.config("GET", "appendonly") as string[];
      const [, save] = await this.#redis.config("GET", "save") as string[];
      if (aof !== "yes" && !save) {
        this.#options.log.event("warning", {
          store: "redis",
          problem: "no-persistence",
          action:
            "Redis keeps neither an append-only file nor snapshots: name bindings will not survive its restart; set appendonly yes",
        });
      }
    } catch {
      // CONFIG is often disabled on managed Redis: nothing to check then.
    }
  }

  /** `kind:id` under the prefix, or just `kind` for the directory-wide keys. */
  #key(kind: string, id?: string): string {
    return id === undefined ? `${this.#prefix}${kind}` : `${this.#prefix}${kind}:${id}`;
  }

  #channel(instance: string): string {
    return this.#key("c", instance);
  }

  #script(name: string): Script {
    return (this.#redis as unknown as Record<string, Script>)[name].bind(this.#redis);
  }

  /** Runs a store request; its failure is `store-unavailable`, counted. */
  async #store<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      this.#errors++;
      throw new DirectoryError(
        "store-unavailable",
        "The directory's store is unavailable right now; try again in a moment",
        { cause: error },
      );
    }
  }

  get localCount(): number {
    return this.#sessions.size;
  }

  get totalCount(): number {
    return this.#total;
  }

  get storeUp(): boolean {
    return this.#redis.status === "ready";
  }

  get storeErrors(): number {
    return this.#errors;
  }

  isRegistered(session: S): boolean {
    return this.#sessions.has(session);
  }

  async register(
    session: S,
    name: Name,
    key: ProvenKey,
    where: Where,
  ): Promise<{ entry: UserEntry; replaced?: S }> {
    if (this.#sessions.has(session)) throw refusal.alreadyRegistered();
    const folded = nameKey(name);
    const skeleton = nameSkeleton(name);
    const entry = userEntry(name, key, where);
    const stored = storedEntry(entry);
    const result = await this.#store(() =>
      this.#script("register")(
        this.#key("b", folded),
        this.#key("o", folded),
        this.#key("online"),
        this.#key("iu", this.instance),
        this.#key("sk"),
        folded,
        name,
        key.base64,
        skeleton,
        this.#options.nameTtlMs,
        stored,
        this.instance,
        String(session.id),
        this.#prefix,
      )
    ) as string[];
    if (result[0] === "taken") throw refusal.taken(result[1]);
    if (result[0] === "confusable") throw refusal.confusable(name, result[1]);
    const [, oldInstance, oldSession] = result;
    let replaced: S | undefined;
    if (oldInstance === this.instance) {
      const previous = this.#byKey.get(folded);
      if (previous && String(previous.id) === oldSession && previous !== session) {
        this.#sessions.delete(previous);
        replaced = previous;
      }
    } else if (oldInstance) {
      await this.#publish(oldInstance, { t: "replace", key: folded, x: oldSession });
    }
    this.#sessions.set(session, { key: folded, entry, stored, binding: key });
    this.#byKey.set(folded, session);
    return replaced ? { entry, replaced } : { entry };
  }

  async leave(session: S): Promise<string | undefined> {
    const mine = this.#sessions.get(session);
    if (!mine) return undefined;
    this.#sessions.delete(session);
    if (this.#byKey.get(mine.key) === session) this.#byKey.delete(mine.key);
    try {
      await this.#store(() => this.#leave(mine.key, String(session.id)));
    } catch (error) {
      // Removed when the store is back, so that no ghost is left listed.
      this.#pendingLeaves.set(String(session.id), mine.key);
      throw error;
    }
    return mine.entry.name;
  }

  #leave(key: NameKey, session: string): Promise<unknown> {
    return this.#script("leave")(
      this.#key("o", key),
      this.#key("online"),
      this.#key("iu", this.instance),
      this.#key("b", key),
      key,
      this.instance,
      session,
      this.#options.nameTtlMs,
    );
  }

  async lookup(name: Name): Promise<UserEntry | undefined> {
    const presence = await this.#store(() => this.#redis.get(this.#key("o", nameKey(name))));
    return presence ? parsePresence(presence).entry : undefined;
  }

  async list(
    options: { prefix?: string; limit: number; after?: string },
  ): Promise<{ users: UserEntry[]; more: boolean }> {
    const prefix = (options.prefix ?? "").toLowerCase();
    const after = options.after?.toLowerCase();
    const min = after !== undefined && after >= prefix ? `(${after}` : `[${prefix}`;
    const max = prefix ? `[${prefix}\xff` : "+";
    const found = await this.#store(() =>
      this.#script("list")(
        this.#key("online"),
        min,
        max,
        options.limit + 1,
        this.#prefix,
      )
    ) as string[];
    const entries = found.filter((presence) => presence !== "").map((presence) =>
      parsePresence(presence).entry
    );
    return { users: entries.slice(0, options.limit), more: found.length > options.limit };
  }

  async locate(name: Name): Promise<Located<S> | undefined> {
    const folded = nameKey(name);
    const presence = await this.#store(() => this.#redis.get(this.#key("o", folded)));
    if (!presence) return undefined;
    const { instance, session } = parsePresence(presence);
    if (instance === this.instance) {
      const local = this.#byKey.get(folded);
      return local ? { local } : undefined;
    }
    return { remote: { instance, session, key: folded } };
  }

  async offerRemote(
    to: { instance: string; session: number; key: NameKey },
    offer: { from: string; token: string; relay: string },
  ): Promise<void> {
    const delivered = await this.#publish(to.instance, {
      t: "offer",
      key: to.key,
      x: String(to.session),
      ...offer,
    });
    if (delivered === 0) {
      throw new DirectoryError("not-found", "That user's directory instance is gone");
    }
  }

  async pokeMail(to: { instance: string; session: number; key: NameKey }): Promise<void> {
    await this.#publish(to.instance, { t: "mail", key: to.key, x: String(to.session) });
  }

  async binding(name: Name): Promise<{ name: string; key: string } | undefined> {
    const [spelled, key] = await this.#store(() =>
      this.#redis.hmget(this.#key("b", nameKey(name)), "n", "k")
    );
    return spelled && key ? { name: spelled, key } : undefined;
  }

  async legacyName(text: string, key: ProvenKey): Promise<Name | undefined> {
    if (!isLegacyName(text)) return undefined;
    const [name, bound] = await this.#store(() =>
      this.#redis.hmget(this.#key("b", nameKey(text)), "n", "k")
    );
    return name && bound === key.base64 ? name as Name : undefined;
  }

  /** Bindings expire in Redis by themselves; dead instances are swept by the heartbeat. */
  maintain(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#timers.forEach(clearInterval);
    await this.#redis.del(this.#key("i", this.instance)).catch(() => {});
    this.#sub.disconnect();
    this.#redis.disconnect();
  }

  /** Bytes Redis uses now (INFO memory), for the load benchmark. */
  async usedMemory(): Promise<number> {
    const info = await this.#redis.info("memory");
    return Number(info.match(/^used_memory:(\d+)/m)?.[1] ?? NaN);
  }

  async #publish(instance: string, message: Record<string, string>): Promise<number> {
    return await this.#store(() =>
      this.#redis.publish(this.#channel(instance), JSON.stringify(message))
    );
  }

  #onMessage(message: string): void {
    let parsed: Record<string, string>;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    const session = this.#byKey.get(parsed.key as NameKey);
    if (!session || String(session.id) !== parsed.x) return;
    if (parsed.t === "replace") {
      // Its name is online on another instance now: that presence is not ours to remove.
      this.#sessions.delete(session);
      this.#byKey.delete(parsed.key as NameKey);
      session.end("replaced", "Your name was claimed by a newer session with your key");
    } else if (parsed.t === "mail") {
      session.checkMail();
    } else if (parsed.t === "offer") {
      session.notify({
        type: "relay-offer",
        from: parsed.from,
        token: parsed.token,
        relay: parsed.relay,
      });
    }
  }

  async #heartbeat(): Promise<void> {
    const results = await this.#redis.multi()
      .set(this.#key("i", this.instance), String(Date.now()), "PX", INSTANCE_TTL_MS)
      .sadd(this.#key("instances"), this.instance)
      .zcard(this.#key("online"))
      .exec();
    this.#total = Number(results?.[2]?.[1] ?? this.#total);
    if (Number(results?.[1]?.[1]) === 1 && this.#started && !this.#reasserting) {
      // Another instance swept us (our heartbeat lapsed): put our users back.
      this.#reassert().catch(() => {});
    }
    const removed = await (this.#script("sweep")(
      this.#key("instances"),
      this.#key("online"),
      this.#prefix,
      this.#options.nameTtlMs,
      this.instance,
    ) as Promise<number>);
    if (removed > 0) {
      this.#options.log.event("swept", { users: removed, reason: "instance-gone" });
    }
  }

  async #refreshBindings(): Promise<void> {
    const pipeline = this.#redis.pipeline();
    for (const { key } of this.#sessions.values()) {
      pipeline.pexpire(this.#key("b", key), this.#options.nameTtlMs);
    }
    await pipeline.exec();
  }

  /** Puts every session of this instance back online after the store came back. */
  async #reassert(): Promise<void> {
    if (this.#reasserting) return;
    this.#reasserting = true;
    try {
      await this.#reassertAll();
    } finally {
      this.#reasserting = false;
    }
  }

  async #reassertAll(): Promise<void> {
    await this.#heartbeat().catch(() => {});
    for (const [session, key] of [...this.#pendingLeaves]) {
      await this.#leave(key, session).then(() => this.#pendingLeaves.delete(session), () => {});
    }
    for (const [session, mine] of [...this.#sessions]) {
      const skeleton = nameSkeleton(mine.entry.name as Name);
      const outcome = await this.#script("reassert")(
        this.#key("b", mine.key),
        this.#key("o", mine.key),
        this.#key("online"),
        this.#key("iu", this.instance),
        this.#key("sk"),
        mine.key,
        mine.entry.name,
        mine.binding.base64,
        skeleton,
        this.#options.nameTtlMs,
        mine.stored,
        this.instance,
        String(session.id),
      ).catch(() => "error");
      if (outcome === "replaced" || outcome === "taken") {
        this.#sessions.delete(session);
        if (this.#byKey.get(mine.key) === session) this.#byKey.delete(mine.key);
        session.end("replaced", "Your name was taken over while the directory's store was away");
      }
    }
    this.#options.log.event("store-restored", { users: this.#sessions.size });
  }
}
