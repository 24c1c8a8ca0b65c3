/**
 * Presences in Redis (redis_scripts.ts): who is online, on which instance
 * and where; read for `lookup` and `list`, removed when a session leaves.
 * Putting a session online is part of the registration's compare-and-set
 * (redis_bindings.ts).
 *
 * @module
 */
import type { Redis } from "ioredis";
import type { NameKey, UserEntry } from "../../protocol/mod.ts";
import { lapsesAt, listPage, type ListWindow } from "./binding_rules.ts";
import type { Located } from "./directory_state.ts";
import { parsePresence } from "./redis_entries.ts";
import { LEAVE, LIST } from "./redis_scripts.ts";

type Script = (...args: (string | number)[]) => Promise<unknown>;

/** The presences under one prefix, as one instance sees and changes them. */
export class RedisPresences {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #instance: string;
  readonly #nameTtlMs: number;

  /**
   * Presences in `redis` under `prefix`, for the instance `instance`, of
   * bindings that lapse `nameTtlMs` after their last use.
   * @internal
   */
  constructor(redis: Redis, options: { prefix: string; instance: string; nameTtlMs: number }) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#instance = options.instance;
    this.#nameTtlMs = options.nameTtlMs;
    redis.defineCommand("p2pLeave", { numberOfKeys: 6, lua: LEAVE });
    redis.defineCommand("p2pList", { numberOfKeys: 1, lua: LIST });
  }

  #key(kind: string, id?: string): string {
    return id === undefined ? `${this.#prefix}${kind}` : `${this.#prefix}${kind}:${id}`;
  }

  #script(name: "p2pLeave" | "p2pList"): Script {
    return (this.#redis as unknown as Record<string, Script>)[name].bind(this.#redis);
  }

  /** The presence of `key`, if online: who holds it and its user entry. */
  async get(
    key: NameKey,
  ): Promise<{ instance: string; session: number; entry: UserEntry } | undefined> {
    const presence = await this.#redis.get(this.#key("o", key));
    return presence ? parsePresence(presence) : undefined;
  }

  /** Where `key` is online: a session of this instance (`holding` finds it), or another's. */
  async locate<S>(
    key: NameKey,
    holding: (key: NameKey) => S | undefined,
  ): Promise<Located<S> | undefined> {
    const presence = await this.get(key);
    if (!presence) return undefined;
    const { instance, session } = presence;
    if (instance === this.#instance) {
      const local = holding(key);
      return local ? { local } : undefined;
    }
    return { remote: { instance, session, key } };
  }

  /** The page of users online that `window` (binding_rules.ts) asks for. */
  async page(window: ListWindow): Promise<{ users: UserEntry[]; more: boolean }> {
    const min = `${window.exclusive ? "(" : "["}${window.start}`;
    const max = window.prefix ? `[${window.prefix}\xff` : "+";
    const found = await this.#script("p2pList")(
      this.#key("online"),
      min,
      max,
      window.read,
      this.#prefix,
    ) as string[];
    return listPage(
      window,
      found.map((presence) => presence === "" ? undefined : parsePresence(presence).entry),
    );
  }

  /**
   * Takes `key` offline if session `session` of this instance still holds
   * it; the binding, if still `binding`'s (base64 key), was last used `now`
   * (and lapses the name TTL after, unless used again).
   */
  async leave(
    key: NameKey,
    options: { session: string; binding: string; now: number; collectAfterMs: number },
  ): Promise<void> {
    await this.#script("p2pLeave")(
      this.#key("o", key),
      this.#key("online"),
      this.#key("iu", this.#instance),
      this.#key("b", key),
      this.#key("pk", key),
      this.#key("log:due"),
      key,
      this.#instance,
      options.session,
      options.binding,
      options.now,
      options.collectAfterMs,
      lapsesAt(options.now, this.#nameTtlMs),
    );
  }
}
