/**
 * The mailbox (mailbox.ts) in Redis, shared by every instance; its layout
 * and scripts are in redis_mail_scripts.ts. A deposit checks the bounds and
 * adds in one script, atomically across instances; ids come from one
 * counter, so oldest first is id order; `purge` deletes expired mail of
 * every recipient, as SQLite's does.
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
} from "./mailbox.ts";
import { ACK, DEPOSIT, PURGE } from "./redis_mail_scripts.ts";
import { DEFAULT_PREFIX, openRedis, storeUnavailable } from "../state/mod.ts";

/** Mailboxes one purge script visits, so that one call never holds Redis for long. */
const PURGE_BATCH = 100;
/** How long past its TTL Redis keeps a mailbox nothing touched, before collecting it. */
const COLLECT_MARGIN_MS = 3600 * 1000;

type Script = (...args: (string | number)[]) => Promise<unknown>;

/** Mail in Redis, for instances sharing one store. */
export class RedisMailbox implements Mailbox {
  /** How long a message is held. */
  readonly ttlMs: number;
  readonly #redis: Redis;
  readonly #prefix: string;

  private constructor(redis: Redis, ttlMs: number, prefix: string) {
    this.#redis = redis;
    this.ttlMs = ttlMs;
    this.#prefix = prefix;
    redis.defineCommand("p2pDeposit", { numberOfKeys: 5, lua: DEPOSIT });
    redis.defineCommand("p2pAck", { numberOfKeys: 4, lua: ACK });
    redis.defineCommand("p2pPurge", { numberOfKeys: 1, lua: PURGE });
  }

  /** Connects (StoreError when it cannot). */
  static async connect(
    url: string,
    options: { ttlMs?: number; prefix?: string } = {},
  ): Promise<RedisMailbox> {
    return new RedisMailbox(
      await openRedis(url),
      options.ttlMs ?? DEFAULT_MAIL_TTL_MS,
      options.prefix ?? DEFAULT_PREFIX,
    );
  }

  async #store<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof DirectoryError) throw error;
      throw storeUnavailable(error);
    }
  }

  #script(name: "p2pDeposit" | "p2pAck" | "p2pPurge"): Script {
    return (this.#redis as unknown as Record<string, Script>)[name].bind(this.#redis);
  }

  #key(kind: string, name?: string): string {
    return name === undefined ? `${this.#prefix}${kind}` : `${this.#prefix}${kind}:${name}`;
  }

  #mailboxKeys(to: NameKey): [string, string, string] {
    return [this.#key("m", to), this.#key("mt", to), this.#key("mc", to)];
  }

  /** Holds `sealed` for `to` within the bounds, atomically (Mailbox.deposit). */
  async deposit(
    to: NameKey,
    from: NameKey,
    sealed: Uint8Array,
    now: number,
  ): Promise<{ id: number; expires: number }> {
    const [outcome, detail] = await this.#store(() =>
      this.#script("p2pDeposit")(
        ...this.#mailboxKeys(to),
        this.#key("mid"),
        this.#key("mq"),
        from,
        toBase64(sealed),
        now,
        this.ttlMs,
        MAX_MAILBOX_MESSAGES,
        MAX_MAILBOX_BYTES,
        MAX_FROM_ONE_SENDER,
        to,
        this.ttlMs + COLLECT_MARGIN_MS,
      ) as Promise<[string, string]>
    );
    if (outcome === "full") throw mailboxFull(detail as "messages" | "bytes" | "sender", to);
    return { id: Number(detail), expires: now + this.ttlMs };
  }

  /** Unexpired messages for `to`, oldest first (Mailbox.held). */
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

  /** Deletes delivered messages (Mailbox.ack). */
  async ack(to: NameKey, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#store(() =>
      this.#script("p2pAck")(...this.#mailboxKeys(to), this.#key("mq"), to, ...ids.map(String))
    );
  }

  /** Deletes the expired mail of every recipient, a batch of mailboxes at a time (Mailbox.purge). */
  async purge(now: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const [n, visited] = await this.#store(() =>
        this.#script("p2pPurge")(this.#key("mq"), this.#prefix, now - this.ttlMs, PURGE_BATCH)
      ) as [number, number];
      deleted += n;
      if (visited < PURGE_BATCH) return deleted;
    }
  }

  /** Disconnects. */
  close(): Promise<void> {
    this.#redis.disconnect();
    return Promise.resolve();
  }
}
