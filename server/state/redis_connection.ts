/**
 * Connecting to the shared store (Redis) through ioredis: no offline queue
 * (a request while the store is away fails at once), reconnection with
 * backoff, and failures to connect reported as StoreErrors that name the
 * URL (password hidden) and tell a refused login from an unreachable store.
 *
 * @module
 */
import type { Redis } from "ioredis";

import { errorMessage } from "../../errors/mod.ts";
import { DirectoryError } from "../../protocol/mod.ts";
import { StoreError } from "./errors.ts";

/** Where p2pchat's keys start in Redis. */
export const DEFAULT_PREFIX = "p2pchat:";
/** Longest a store request may take before it counts as failed. */
const COMMAND_TIMEOUT_MS = 2_000;
/** The longest wait between two reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2_000;

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

/** The refusal of a client's request while the store does not answer. */
export function storeUnavailable(cause: unknown): DirectoryError {
  return new DirectoryError(
    "store-unavailable",
    "The directory's store is unavailable right now; try again in a moment",
    { cause },
  );
}

/** Why Redis refused the login, from the reply it gave, or undefined when it did not. */
export function loginRefusal(error: unknown, flag = "--store"): string | undefined {
  const message = errorMessage(error);
  if (/^NOAUTH\b/.test(message)) return `it requires a password and ${flag} gives none`;
  if (/^WRONGPASS\b/.test(message) || /invalid password/i.test(message)) {
    return `the user or password in ${flag} is wrong`;
  }
  if (/^NOPERM\b/.test(message)) return `the user in ${flag} may not run p2pchat's commands`;
  return undefined;
}

/** How to connect: the flag that gave the URL, for messages. */
export type OpenRedisOptions = {
  /** `--store` (the default) or `--to`. */
  flag?: string;
};

/**
 * A connected Redis client for `url`. Throws StoreError `store-auth-failed`
 * when Redis refuses the login, else `store-unreachable`, naming the URL
 * with its password hidden.
 * @internal
 */
export async function openRedis(url: string, options: OpenRedisOptions = {}): Promise<Redis> {
  const flag = options.flag ?? "--store";
  // Loaded only here: a client, `id`, `--version` or a directory on SQLite never loads ioredis
  // (nor its `debug`, which reads the whole environment as it loads).
  const { Redis } = await import("ioredis");
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(MAX_RECONNECT_DELAY_MS, 100 * times),
  });
  // ioredis reports connection errors as events (the requests that fail report their own), and
  // a refused login only so: connect() then just says "Connection is closed.".
  let refused: string | undefined;
  redis.on("error", (error: Error) => {
    refused ??= loginRefusal(error, flag);
  });
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    refused ??= loginRefusal(error, flag);
    if (refused !== undefined) {
      throw new StoreError(
        "store-auth-failed",
        `The store at ${redactUrl(url)} refused the login: ${refused}; ` +
          `put the right user and password in ${flag} (redis://USER:PASSWORD@HOST:PORT)`,
        { cause: error },
      );
    }
    throw new StoreError(
      "store-unreachable",
      `Cannot reach the store at ${redactUrl(url)}: ${errorMessage(error)}; ` +
        `start Redis or fix ${flag}`,
      { cause: error },
    );
  }
}

/**
 * A warning when Redis keeps neither an append-only file nor snapshots
 * (bindings would not survive its restart), else undefined; undefined too
 * where CONFIG is disabled (managed Redis), as nothing can be checked there.
 * @internal
 */
export async function persistenceWarning(redis: Redis): Promise<string | undefined> {
  try {
    const [, aof] = await redis.config("GET", "appendonly") as string[];
    const [, save] = await redis.config("GET", "save") as string[];
    if (aof === "yes" || save) return undefined;
    return "Redis keeps neither an append-only file nor snapshots: name bindings will not survive its restart; set appendonly yes";
  } catch {
    return undefined; // CONFIG is often disabled on managed Redis: nothing to check then.
  }
}

/**
 * Two connections to the store at `url`: one for requests, one to
 * subscribe with (a subscribed connection serves nothing else); neither is
 * left open when the other fails.
 * @internal
 */
export async function openRedisPair(url: string): Promise<[Redis, Redis]> {
  const redis = await openRedis(url);
  try {
    return [redis, await openRedis(url)];
  } catch (error) {
    redis.disconnect();
    throw error;
  }
}
