/**
 * The log entries of the Redis store that no registration makes
 * (docs/protocol.md §15.1): lapses, and the first entries of a log started
 * over bindings made before it. Redis collects a lapsed binding by key
 * expiry, silently, a margin after the rules let it lapse; so every name
 * bound is kept in `log:due` by when it lapses if unused, and each
 * instance's minute of maintenance decides the names due by the rules
 * (binding_rules.ts, on facts read in one script) and logs each lapse with
 * a compare-and-set (LAPSE), as the single process logs them when it
 * collects bindings.
 *
 * @module
 */
import type { Redis } from "ioredis";
import { Buffer } from "node:buffer";
import { fromBase64, toBase64 } from "../../crypto/mod.ts";
import type { Name, NameKey } from "../../protocol/mod.ts";
import { nameSkeleton } from "../../protocol/mod.ts";
import { encodeEntry } from "../../transparency/mod.ts";
import { isLive, lapsesAt, refreshIntervalMs } from "./binding_rules.ts";
import { bindEvents, lapseEvent, type LogHead } from "./log_rules.ts";
import type { RedisBindings } from "./redis_bindings.ts";
import { ADOPT, LAPSE } from "./redis_scripts.ts";

/** Names whose lapse one round of maintenance decides, at most. */
export const LAPSE_BATCH = 500;
/** Attempts at a lapse's compare-and-set before leaving it to the next round. */
const MAX_LAPSE_ATTEMPTS = 4;
/** Bindings read per SCAN when a log starts over bindings made before it. */
const ADOPT_SCAN = 1_000;
/** How long one instance holds the right to start the log over existing bindings. */
const ADOPT_LOCK_MS = 60_000;

/** What the log last says of a name, as `log:h` keeps it: `bound|lapsed <count> <key, base64>`. */
export function formatHead(head: LogHead): string {
  return `${head.state} ${head.count} ${toBase64(head.key)}`;
}

/** The head `text` holds ('' or anything malformed: the log says nothing). */
export function parseHead(text: string | undefined): LogHead | undefined {
  const match = /^(bound|lapsed) (\d{1,10}) ([A-Za-z0-9+/]{43}=)$/.exec(text ?? "");
  if (!match) return undefined;
  return {
    state: match[1] as LogHead["state"],
    count: Number(match[2]),
    key: fromBase64(match[3]),
  };
}

type Script = (...args: (string | number | Buffer)[]) => Promise<unknown>;

/** Lapses and first entries, for one prefix of one Redis. */
export class RedisLogEvents {
  readonly #redis: Redis;
  readonly #bindings: RedisBindings;
  readonly #options: { prefix: string; nameTtlMs: number; clock: () => number };

  /**
   * The events of the bindings `bindings` keeps in `redis`.
   * @internal
   */
  constructor(
    redis: Redis,
    bindings: RedisBindings,
    options: { prefix: string; nameTtlMs: number; clock: () => number },
  ) {
    this.#redis = redis;
    this.#bindings = bindings;
    this.#options = options;
    redis.defineCommand("p2pLapse", { numberOfKeys: 0, lua: LAPSE });
    redis.defineCommand("p2pAdopt", { numberOfKeys: 0, lua: ADOPT });
  }

  #script(name: "p2pLapse" | "p2pAdopt"): Script {
    return (this.#redis as unknown as Record<string, Script>)[name].bind(this.#redis);
  }

  #key(name: string): string {
    return `${this.#options.prefix}log:${name}`;
  }

  /**
   * Decides the names due to lapse (at most LAPSE_BATCH) and logs each
   * lapse; a name in use is put back by when it lapses now. Returns the
   * log's length after the last entry logged (0: none).
   */
  async lapses(): Promise<number> {
    const { nameTtlMs: ttl, clock } = this.#options;
    const now = clock();
    const due = await this.#redis.zrangebyscore(
      this.#key("due"),
      "-inf",
      now,
      "LIMIT",
      0,
      LAPSE_BATCH,
    );
    let length = 0;
    for (const name of due as NameKey[]) {
      for (let attempt = 0; attempt < MAX_LAPSE_ATTEMPTS; attempt++) {
        const facts = await this.#bindings.snapshot(name, name as unknown as Name, now);
        const current = facts.current;
        if (current && isLive(current, now, ttl)) {
          const next = current.online
            ? now + refreshIntervalMs(ttl)
            : lapsesAt(current.lastUsed, ttl);
          await this.#redis.zadd(this.#key("due"), next, name);
          break;
        }
        const lapse = lapseEvent(name, facts.head, now);
        const result = await this.#script("p2pLapse")(
          this.#options.prefix,
          name,
          nameSkeleton(name as unknown as Name),
          facts.version,
          lapse ? formatHead(lapse.head) : "",
          ...(lapse ? [Buffer.from(encodeEntry(lapse.entry))] : []),
        ) as string;
        if (result === "retry") continue;
        if (result !== "") length = Number(result);
        break;
      }
    }
    return length;
  }

  /**
   * Starts the log over the live bindings Redis holds, when it has no
   * entry yet (a store from before the log, or one copied in): each as its
   * first bind, by one instance. Returns the log's length after (0: none).
   */
  async adoptExisting(): Promise<number> {
    const [entries, heads] = await Promise.all([
      this.#redis.llen(this.#key("e")),
      this.#redis.hlen(this.#key("h")),
    ]);
    if (entries > 0 || heads > 0) return 0;
    const locked = await this.#redis.set(this.#key("adopting"), "1", "PX", ADOPT_LOCK_MS, "NX");
    if (locked !== "OK") return 0;
    const { prefix, nameTtlMs: ttl, clock } = this.#options;
    let length = 0;
    let cursor = "0";
    do {
      const [next, keys] = await this.#redis.scan(
        cursor,
        "MATCH",
        `${prefix}b:*`,
        "COUNT",
        ADOPT_SCAN,
      );
      cursor = next;
      for (const key of keys) {
        const name = key.slice(prefix.length + 2) as NameKey;
        const [spelled, owner, used] = await this.#redis.hmget(key, "n", "k", "u");
        const online = await this.#redis.exists(`${prefix}o:${name}`);
        const now = clock();
        const facts = {
          name: spelled ?? "",
          key: owner ?? "",
          lastUsed: Number(used ?? now),
          online: online === 1,
        };
        if (!spelled || !isLive(facts, now, ttl)) continue;
        const { entries, head } = bindEvents(name, fromBase64(facts.key), undefined, now);
        const result = await this.#script("p2pAdopt")(
          prefix,
          name,
          facts.key,
          formatHead(head),
          lapsesAt(facts.lastUsed, ttl),
          Buffer.from(encodeEntry(entries[0])),
        ) as number;
        if (result > 0) length = result;
      }
    } while (cursor !== "0");
    return length;
  }
}
