/**
 * The mailbox (mailbox.ts) in Redis, shared by every instance: per
 * recipient a hash `m:<name key>` from message id to `<stored> <sender>
 * <sealed base64>`, a sorted set `mt:` of ids by time (for expiry) and a hash
 * `mc:` of counters (messages, bytes, per sender); ids come from one counter
 * (`mid`), so oldest first is id order. A deposit checks the bounds and adds
 * in one script, atomically across instances. Prekeys are `pk:<name key>`,
 * kept as long as a name's binding.
 *
 * @module
 */
import type { Redis } from "ioredis";
import { fromBase64, toBase64 } from "../../crypto/mod.ts";
import { DirectoryError, type NameKey } from "../../protocol/mod.ts";
import {
  DEFAULT_MAIL_TTL_MS,
  type HeldMail,
  type Mailbox,
  mailboxFull,
  MAX_FROM_ONE_SENDER,
  MAX_MAILBOX_BYTES,
  MAX_MAILBOX_MESSAGES,
  type StoredPrekey,
} from "./mailbox.ts";
import { DEFAULT_PREFIX, openRedis } from "../state/mod.ts";

// Keys: 1 m:<to> (id -> "<stored> <sender> <sealed>"), 2 mt:<to> (zset id by stored time),
// 3 mc:<to> (counters: n, b, s:<sender>), 4 the id counter. Counters cover live messages only:
// expired ones are dropped (and uncounted) first, so a deposit costs the same however full.
const DROP = `
local function drop(id)
  local v = redis.call('HGET', KEYS[1], id)
  if v then
    local sender, sealed = string.match(v, '^%d+ (%S+) (%S*)$')
    redis.call('HINCRBY', KEYS[3], 'n', -1)
    redis.call('HINCRBY', KEYS[3], 'b', -math.floor(#sealed * 3 / 4))
    redis.call('HINCRBY', KEYS[3], 's:' .. sender, -1)
    redis.call('HDEL', KEYS[1], id)
  end
  redis.call('ZREM', KEYS[2], id)
end
`;

const DEPOSIT = DROP + `
-- ARGV: 1 sender, 2 sealed (base64), 3 now, 4 ttl, 5 max messages, 6 max bytes, 7 max from sender
local now, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - ttl)) do drop(id) end
local c = redis.call('HMGET', KEYS[3], 'n', 'b', 's:' .. ARGV[1])
local n, bytes, mine = tonumber(c[1] or 0), tonumber(c[2] or 0), tonumber(c[3] or 0)
if n >= tonumber(ARGV[5]) then return {'full', 'messages'} end
if bytes + math.floor(#ARGV[2] * 3 / 4) > tonumber(ARGV[6]) then return {'full', 'bytes'} end
if mine >= tonumber(ARGV[7]) then return {'full', 'sender'} end
local id = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], id, ARGV[3] .. ' ' .. ARGV[1] .. ' ' .. ARGV[2])
redis.call('ZADD', KEYS[2], now, id)
redis.call('HINCRBY', KEYS[3], 'n', 1)
redis.call('HINCRBY', KEYS[3], 'b', math.floor(#ARGV[2] * 3 / 4))
redis.call('HINCRBY', KEYS[3], 's:' .. ARGV[1], 1)
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
return {'ok', tostring(id)}
`;

const ACK = DROP + `
for _, id in ipairs(ARGV) do drop(id) end
return 0
`;

/** Mail in Redis, for instances sharing one store. */
export class RedisMailbox implements Mailbox {
  readonly ttlMs: number;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #prekeyTtlMs: number;

  private constructor(redis: Redis, ttlMs: number, prekeyTtlMs: number, prefix: string) {
    this.#redis = redis;
    this.ttlMs = ttlMs;
    this.#prekeyTtlMs = prekeyTtlMs;
    this.#prefix = prefix;
    redis.defineCommand("deposit", { numberOfKeys: 4, lua: DEPOSIT });
    redis.defineCommand("ack", { numberOfKeys: 3, lua: ACK });
  }

  /** Connects (StoreError when it cannot); prekeys are kept `prekeyTtlMs` after their last registration. */
  static async connect(
    url: string,
    options: { ttlMs?: number; prekeyTtlMs: number; prefix?: string },
  ): Promise<RedisMailbox> {
    return new RedisMailbox(
      await openRedis(url),
      options.ttlMs ?? DEFAULT_MAIL_TTL_MS,
      options.prekeyTtlMs,
      options.prefix ?? DEFAULT_PREFIX,
    );
  }

  async #store<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof DirectoryError) throw error;
      throw new DirectoryError(
        "store-unavailable",
        "The directory's store is unavailable right now; try again in a moment",
        { cause: error },
      );
    }
  }

  #key(kind: string, name: string): string {
    return `${this.#prefix}${kind}:${name}`;
  }

  async putPrekey(owner: NameKey, entry: StoredPrekey): Promise<void> {
    await this.#store(() =>
      this.#redis.set(
        this.#key("pk", owner),
        JSON.stringify(entry),
        "PX",
        this.#prekeyTtlMs,
      )
    );
  }

  async prekey(owner: NameKey): Promise<StoredPrekey | undefined> {
    const text = await this.#store(() => this.#redis.get(this.#key("pk", owner)));
    return text ? JSON.parse(text) : undefined;
  }

  async deposit(
    to: NameKey,
    from: NameKey,
    sealed: Uint8Array,
    now: number,
  ): Promise<{ id: number; expires: number }> {
    const [outcome, detail] = await this.#store(() =>
      (this.#redis as unknown as {
        deposit(...args: (string | number)[]): Promise<[string, string]>;
      }).deposit(
        ...this.#mailboxKeys(to),
        `${this.#prefix}mid`,
        from,
        toBase64(sealed),
        now,
        this.ttlMs,
        MAX_MAILBOX_MESSAGES,
        MAX_MAILBOX_BYTES,
        MAX_FROM_ONE_SENDER,
      )
    );
    if (outcome === "full") throw mailboxFull(detail as "messages" | "bytes" | "sender", to);
    return { id: Number(detail), expires: now + this.ttlMs };
  }

  async held(to: NameKey, now: number, after: number, limit: number): Promise<HeldMail[]> {
    // The time index names the live ids; only the ones to send are fetched (a mailbox may hold MiBs).
    const [, mt] = this.#mailboxKeys(to);
    const live = await this.#store(() =>
      this.#redis.zrangebyscore(mt, `(${now - this.ttlMs}`, "+inf")
    );
    const ids = live.map(Number).filter((id) => id > after).sort((a, b) => a - b).slice(0, limit);
    if (ids.length === 0) return [];
    const values = await this.#store(() =>
      this.#redis.hmget(this.#key("m", to), ...ids.map(String))
    );
    const out: HeldMail[] = [];
    values.forEach((value, i) => {
      if (value === null) return; // acknowledged meanwhile
      const [stored, , sealed] = value.split(" ");
      out.push({ id: ids[i], stored: Number(stored), sealed: fromBase64(sealed) });
    });
    return out;
  }

  async ack(to: NameKey, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#store(() =>
      (this.#redis as unknown as { ack(...args: string[]): Promise<number> }).ack(
        ...this.#mailboxKeys(to),
        ...ids.map(String),
      )
    );
  }

  #mailboxKeys(to: NameKey): [string, string, string] {
    return [this.#key("m", to), this.#key("mt", to), this.#key("mc", to)];
  }

  /** Each mailbox expires as a whole; expired messages in a live one go at its next deposit. */
  purge(): Promise<number> {
    return Promise.resolve(0);
  }

  close(): Promise<void> {
    this.#redis.disconnect();
    return Promise.resolve();
  }
}
