/**
 * The stores the directory state's contracts (directory_state_test.ts,
 * key_log_test.ts) run on, SQLite and a real redis-server, behind one
 * Fixture, with a fake clock, a fake session and the directory's identity
 * that signs the log.
 */
import { assertEquals } from "../../tests/assert.ts";
import { type CloseReason, type Name, parseName, type WirePrekey } from "../../protocol/mod.ts";
import { Identity, toBase64 } from "../../crypto/mod.ts";
import type { RedisProcess } from "../../harness/redis_process.ts";
import { Logger } from "../ops/mod.ts";
import type { DirectoryState } from "./directory_state.ts";
import { LocalDirectory } from "./directory_state.ts";
import type { ProvenKey } from "./registry.ts";
import { SqliteNameStore } from "./name_store.ts";
import { DirectoryDatabase } from "./sqlite_database.ts";
import { RedisDirectory } from "./redis_directory.ts";
import { RedisBindings } from "./redis_bindings.ts";
import { openRedis } from "./redis_connection.ts";

export const DAY = 24 * 3600 * 1000;
export const TTL = 30 * DAY;
export const T0 = 1_800_000_000_000;
/** The directory's key: it signs the log's checkpoints in every fixture. */
export const directory = Identity.generate();

export const key = (n: number): ProvenKey => {
  const raw = new Uint8Array(32).fill(n);
  return { raw, base64: toBase64(raw), fingerprint: `fp${n}` };
};
export const at = { address: "127.0.0.1", port: 4000 };
export const prekey = (created: number): WirePrekey => ({ key: "BA==", created, sig: "AA==" });

/** A session as the state sees it; records how it was ended. */
export class FakeSession {
  static #next = 1;
  readonly id = FakeSession.#next++;
  ended: { reason: CloseReason; message: string } | undefined;
  end(reason: CloseReason, message: string): Promise<void> {
    this.ended = { reason, message };
    return Promise.resolve();
  }
  notify(): void {}
  checkMail(): void {}
}

export type State = DirectoryState<FakeSession>;

/** One store under test: instances over it share the store and the fake clock. */
export type Fixture = {
  readonly clock: { now: number };
  /** A new instance over the store. */
  open(): Promise<State>;
  /** The instance stops without a goodbye for its users (a crash, SIGKILL). */
  crash(state: State): Promise<void>;
  /** Lets an instance catch up with the store (the shared store's heartbeat and sweep). */
  settle(state: State): Promise<void>;
  /** A binding made before the current rules (an empty key binds nobody). */
  seed(name: string, owner: ProvenKey | "", lastUsed: number): Promise<void>;
  /** Changes `name`'s binding to `owner` in the store by hand, outside the log. */
  tamper(name: string, owner: ProvenKey): Promise<void>;
  close(): Promise<void>;
};

export async function sqliteFixture(): Promise<Fixture> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/directory.sqlite`;
  const clock = { now: T0 };
  const open: State[] = [];
  return {
    clock,
    open() {
      const state = new LocalDirectory<FakeSession>(new SqliteNameStore(path), {
        clock: () => clock.now,
        nameTtlMs: TTL,
        identity: directory,
      });
      open.push(state);
      return Promise.resolve(state);
    },
    crash: (state) => state.close(),
    settle: () => Promise.resolve(),
    seed(name, owner, lastUsed) {
      const store = new SqliteNameStore(new DirectoryDatabase(path));
      store.put({
        key: name.toLowerCase() as never,
        name: name as Name,
        publicKey: owner === "" ? new Uint8Array(0) : owner.raw,
        lastUsed,
      });
      store.close();
      return Promise.resolve();
    },
    tamper(name, owner) {
      const database = new DirectoryDatabase(path);
      database.db.prepare("UPDATE bindings SET public_key = ? WHERE key = ?").run(owner.raw, name);
      database.db.close();
      return Promise.resolve();
    },
    async close() {
      for (const state of open) await state.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

export function redisFixture(redis: RedisProcess): Fixture {
  const prefix = `t${crypto.randomUUID().slice(0, 8)}:`;
  const clock = { now: T0 };
  const open: RedisDirectory<FakeSession>[] = [];
  const log = new Logger("text", { write: () => {} });
  return {
    clock,
    async open() {
      const state = await RedisDirectory.connect<FakeSession>({
        url: redis.url,
        nameTtlMs: TTL,
        log,
        prefix,
        clock: () => clock.now,
        heartbeatMs: 3_600_000, // the tests beat by hand (settle)
        identity: directory,
      });
      open.push(state);
      return state;
    },
    // Its heartbeat is gone at once: the next instance to beat sweeps its users.
    crash: (state) => state.close(),
    settle: (state) => (state as RedisDirectory<FakeSession>).recover(),
    async seed(name, owner, lastUsed) {
      const client = await openRedis(redis.url);
      try {
        const bindings = new RedisBindings(client, {
          prefix,
          nameTtlMs: TTL,
          clock: () => clock.now,
        });
        const outcome = await bindings.import({
          name: name as Name,
          publicKey: owner === "" ? "" : owner.base64,
          lastUsed,
        });
        assertEquals(outcome, "copied");
      } finally {
        client.disconnect();
      }
    },
    async tamper(name, owner) {
      await redis.cli("HSET", `${prefix}b:${name}`, "k", owner.base64);
    },
    async close() {
      for (const state of open) await state.close();
    },
  };
}

export const names = (page: { users: { name: string }[] }): string[] =>
  page.users.map((u) => u.name);

/** Registers `name` for `owner` on a new session of `state`. */
export async function online(
  state: State,
  name: string,
  owner: ProvenKey,
  options: { prekey?: WirePrekey } = {},
): Promise<FakeSession> {
  const session = new FakeSession();
  await state.register(session, parseName(name), owner, at, options.prekey);
  return session;
}

/** The contract: each rule a step, each step on a fresh store. */
