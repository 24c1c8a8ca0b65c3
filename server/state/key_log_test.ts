/**
 * The key-transparency log's contract (docs/protocol.md §15), run against
 * the single process (LocalDirectory over SQLite) and a real redis-server
 * (RedisDirectory), with one fake clock: what each binding decision logs,
 * what the proofs say, that a restart replays into the same state, that a
 * binding changed by hand outside the log is not proven, and, in Redis,
 * that two instances appending at once make one history.
 */
import { assert, assertEquals } from "../../tests/assert.ts";
import { parseName } from "../../protocol/mod.ts";
import { redisMissing, startRedis } from "../../harness/redis_process.ts";
import {
  decodeBindingProof,
  decodeCheckpoint,
  decodeEntry,
  decodeHashes,
  encodeValue,
  leafHash,
  mapPath,
  type SignedCheckpoint,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
  verifyMapProof,
} from "../../transparency/mod.ts";
import { Logger } from "../ops/mod.ts";
import { LocalDirectory } from "./directory_state.ts";
import type { ProvenKey } from "./registry.ts";
import { SqliteNameStore } from "./name_store.ts";
import { RedisDirectory } from "./redis_directory.ts";
import {
  directory,
  FakeSession,
  type Fixture,
  key,
  online,
  redisFixture,
  sqliteFixture,
  type State,
  T0,
  TTL,
} from "./directory_state_fixtures_test.ts";

/** What the state proves of `name` (the key listed, when given), checked all the way. */
async function proven(state: State, name: string, listed?: ProvenKey) {
  const log = await state.keyLog();
  const reply = await log.prove([{ name: name as never, key: listed?.raw }]);
  const checkpoint = verifyCheckpoint(directory.public, decodeCheckpoint(reply.checkpoint)!)!;
  assert(checkpoint, "the checkpoint is the directory's");
  const binding = decodeBindingProof(reply.proofs[0])!;
  const value = binding.value && encodeValue(binding.value);
  assert(
    verifyMapProof(checkpoint.mapRoot, mapPath(name), value, binding.proof),
    "the proof holds",
  );
  return { checkpoint, value: binding.value };
}

const RULES: Record<string, (f: Fixture) => Promise<void>> = {
  "logs a name new to its key as its first bind, and proves it; a name never bound, absent": async (
    f,
  ) => {
    const state = await f.open();
    await online(state, "bob", key(1));
    const bob = await proven(state, "bob", key(1));
    assertEquals(bob.value, { state: "bound", count: 1, key: key(1).raw });
    assertEquals(bob.checkpoint.size, 1);
    assertEquals((await proven(state, "nobody")).value, null);
  },

  "logs nothing when the key comes back; logs the lapse, then a rebind as count 2, each entry included and the log append-only":
    async (f) => {
      const state = await f.open();
      const first = await online(state, "bob", key(1));
      const before = (await proven(state, "bob", key(1))).checkpoint;
      const again = await online(state, "bob", key(1));
      assertEquals((await proven(state, "bob", key(1))).checkpoint.size, before.size);
      await state.leave(first);
      await state.leave(again);
      f.clock.now += TTL;
      await state.maintain();
      f.clock.now += 1;
      await online(state, "bob", key(2));
      const after = await proven(state, "bob", key(2));
      assertEquals(after.value, { state: "bound", count: 2, key: key(2).raw });
      const log = await state.keyLog();
      const history = await log.history("bob", 0);
      const entries = history.entries.map((e) =>
        decodeEntry(Uint8Array.from(atob(e.entry), (c) => c.charCodeAt(0)))!
      );
      assertEquals(entries.map((e) => [e.kind, e.count, e.key[0]]), [
        ["bind", 1, 1],
        ["lapse", 1, 1],
        ["bind", 2, 2],
      ]);
      for (const e of history.entries) {
        const bytes = Uint8Array.from(atob(e.entry), (c) => c.charCodeAt(0));
        assert(
          verifyInclusion(
            leafHash(bytes),
            e.index,
            after.checkpoint.size,
            decodeHashes(e.proof)!,
            after.checkpoint.logRoot,
          ),
          `entry ${e.index} is in the log`,
        );
      }
      const proof = decodeHashes(await log.consistency(before.size, after.checkpoint.size))!;
      assert(
        verifyConsistency(
          before.size,
          after.checkpoint.size,
          before.logRoot,
          after.checkpoint.logRoot,
          proof,
        ),
      );
    },

  "another key takes a lapsed name: the lapse is logged before its bind, though nobody collected it":
    async (f) => {
      const state = await f.open();
      await state.leave(await online(state, "carol", key(1)));
      f.clock.now += TTL + 1;
      await online(state, "carol", key(3));
      assertEquals((await proven(state, "carol", key(3))).value, {
        state: "bound",
        count: 2,
        key: key(3).raw,
      });
      const kinds = (await (await state.keyLog()).history("carol", 0)).entries.length;
      assertEquals(kinds, 3);
    },

  "a restart replays the log into the same checkpoint and map": async (f) => {
    const a = await f.open();
    for (const name of ["alice", "bob", "carol", "dave"]) await online(a, name, key(name.length));
    const before = (await proven(a, "dave", key(4))).checkpoint;
    await a.close();
    const b = await f.open();
    const after = await proven(b, "carol", key(5));
    assertEquals([after.checkpoint.size, after.checkpoint.logRoot, after.checkpoint.mapRoot], [
      before.size,
      before.logRoot,
      before.mapRoot,
    ]);
    assertEquals(after.value?.key, key(5).raw);
  },

  "a binding changed in the store by hand is served, and the log proves the key it logged: nobody can show the new one as proven":
    async (f) => {
      const state = await f.open();
      await state.leave(await online(state, "bob", key(1)));
      await f.tamper("bob", key(9));
      await online(state, "bob", key(9)); // the store says the name is key 9's: no fresh binding
      assertEquals((await state.lookup(parseName("bob")))?.key, key(9).base64);
      const { value } = await proven(state, "bob", key(9));
      assertEquals(value, { state: "bound", count: 1, key: key(1).raw });
    },
};

async function contract(t: Deno.TestContext, fixture: () => Promise<Fixture>): Promise<void> {
  for (const [name, rule] of Object.entries(RULES)) {
    await t.step(name, async () => {
      const f = await fixture();
      try {
        await rule(f);
      } finally {
        await f.close();
      }
    });
  }
}

Deno.test("the key-transparency log over SQLite keeps its contract", async (t) => {
  await contract(t, sqliteFixture);
  await t.step("a database from before the log starts it with its live bindings", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const store = new SqliteNameStore(`${dir}/directory.sqlite`);
      for (const [name, n] of [["old", 1], ["older", 2]] as const) {
        store.put({ key: name as never, name: name as never, publicKey: key(n).raw, lastUsed: T0 });
      }
      store.put({
        key: "gone" as never,
        name: "gone" as never,
        publicKey: key(3).raw,
        lastUsed: T0 - TTL,
      });
      const state = new LocalDirectory<FakeSession>(store, {
        clock: () => T0,
        nameTtlMs: TTL,
        identity: directory,
      });
      try {
        const older = await proven(state, "older", key(2));
        assertEquals(older.value, { state: "bound", count: 1, key: key(2).raw });
        assertEquals(older.checkpoint.size, 2, "the lapsed binding is not logged");
      } finally {
        await state.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

const missing = redisMissing();

Deno.test({
  name: `the key-transparency log in Redis keeps its contract, one history for every instance${
    missing ? ` (skipped: ${missing})` : ""
  }`,
  ignore: missing !== undefined,
  async fn(t) {
    const redis = await startRedis();
    try {
      await contract(t, () => Promise.resolve(redisFixture(redis)));
      await t.step("two instances appending at once make one history", async () => {
        const f = redisFixture(redis);
        try {
          const [a, b] = [await f.open(), await f.open()];
          const names = Array.from({ length: 40 }, (_, i) => `user${i}`);
          await Promise.all(names.map((name, i) => online(i % 2 ? a : b, name, key(i + 1))));
          const fromA = await Promise.all(names.map((name, i) => proven(a, name, key(i + 1))));
          const fromB = await Promise.all(names.map((name, i) => proven(b, name, key(i + 1))));
          for (const [i, p] of [...fromA, ...fromB].entries()) {
            assertEquals(p.value?.count, 1, names[i % 40]);
          }
          const last = (cps: { checkpoint: SignedCheckpoint }[]) =>
            cps.reduce(
              (m, c) => (c.checkpoint.size > m.size ? c.checkpoint : m),
              cps[0].checkpoint,
            );
          const [la, lb] = [last(fromA), last(fromB)];
          assertEquals(la.size, 40);
          assertEquals([lb.size, lb.logRoot], [la.size, la.logRoot]);
          for (const name of names) {
            assertEquals((await (await a.keyLog()).history(name, 0)).entries.length, 1, name);
          }
        } finally {
          await f.close();
        }
      });
      await t.step("bindings made before the log are its first entries", async () => {
        const prefix = `t${crypto.randomUUID().slice(0, 8)}:`;
        await redis.cli("HSET", `${prefix}b:old`, "n", "old", "k", key(7).base64, "u", String(T0));
        const state = await RedisDirectory.connect<FakeSession>({
          url: redis.url,
          nameTtlMs: TTL,
          log: new Logger("text", { write: () => {} }),
          prefix,
          clock: () => T0,
          heartbeatMs: 3_600_000,
          identity: directory,
        });
        try {
          assertEquals((await proven(state, "old", key(7))).value?.count, 1);
        } finally {
          await state.close();
        }
      });
    } finally {
      await redis.close();
    }
  },
});
