/**
 * The key-transparency log in Redis, one history for every instance
 * (docs/protocol.md §15.5): the entries in the list `log:e` (appended by
 * the scripts that write the bindings they log), the nodes of the tree in
 * the hash `log:t`, and the sealed size and its checkpoint in `log:n` and
 * `log:c`. Lua has no SHA-256: an instance computes a batch's hashes and
 * checkpoint in TypeScript and SEAL stores them only if the sealed size is
 * still the one it extended (a compare-and-set), then tells the others on
 * the channel `log`; the one that lost reads what won and tries again.
 *
 * @module
 */
import type { Redis } from "ioredis";
import { Buffer } from "node:buffer";
import {
  decodeCheckpoint,
  encodeCheckpoint,
  type Hash,
  type SignedCheckpoint,
  type TreeNode,
} from "../../transparency/mod.ts";
import type { LogBackend } from "./log_store.ts";
import { SEAL } from "./redis_scripts.ts";

/** A node's field in `log:t`: one integer per complete subtree, as in SQLite. */
const nodeId = (level: number, index: number): string => String(index * 64 + level);

type Script = (...args: (string | number | Buffer)[]) => Promise<unknown>;

/** The log under one prefix of one Redis. */
export class RedisLogStore implements LogBackend {
  readonly #redis: Redis;
  readonly #prefix: string;

  /**
   * The log in `redis` under `prefix`.
   * @internal
   */
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
    redis.defineCommand("p2pSeal", { numberOfKeys: 4, lua: SEAL });
  }

  /** The pub/sub channel on which seals are announced. */
  get channel(): string {
    return `${this.#prefix}log`;
  }

  #key(name: string): string {
    return `${this.#prefix}log:${name}`;
  }

  async read(): Promise<{ checkpoint?: SignedCheckpoint; appended: number }> {
    const replies = await this.#redis.multi().get(this.#key("c")).llen(this.#key("e")).exec();
    if (!replies) throw new Error("the store aborted a read of the log");
    for (const [error] of replies) if (error) throw error;
    const checkpoint = decodeCheckpoint(replies[0][1]) ?? undefined;
    return { checkpoint, appended: Number(replies[1][1]) };
  }

  async entries(from: number, to: number): Promise<Uint8Array[]> {
    if (to <= from) return [];
    const list = await this.#redis.lrangeBuffer(this.#key("e"), from, to - 1);
    return list.map((entry) => new Uint8Array(entry));
  }

  async entriesAt(indices: readonly number[]): Promise<Uint8Array[]> {
    if (indices.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const index of indices) pipeline.lindexBuffer(this.#key("e"), index);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, entry], i) => {
      if (error) throw error;
      if (!entry) throw new RangeError(`The log has no entry ${indices[i]}`);
      return new Uint8Array(entry as Buffer);
    });
  }

  async nodes(ids: readonly (readonly [number, number])[]): Promise<Hash[]> {
    if (ids.length === 0) return [];
    const fields = ids.map(([level, index]) => nodeId(level, index));
    const hashes = await this.#redis.hmgetBuffer(this.#key("t"), ...fields);
    return hashes.map((hash, i) => {
      if (!hash) throw new RangeError(`The log has no node ${fields[i]}`);
      return new Uint8Array(hash);
    });
  }

  async seal(
    from: number,
    nodes: readonly TreeNode[],
    checkpoint: SignedCheckpoint,
  ): Promise<boolean> {
    const pairs = nodes.flatMap((node) => [nodeId(node.level, node.index), Buffer.from(node.hash)]);
    const script = (this.#redis as unknown as Record<string, Script>).p2pSeal.bind(this.#redis);
    const sealed = await script(
      this.#key("n"),
      this.#key("t"),
      this.#key("c"),
      this.#key("e"),
      String(from),
      String(checkpoint.size),
      encodeCheckpoint(checkpoint),
      this.channel,
      ...pairs,
    );
    return sealed === 1;
  }
}
