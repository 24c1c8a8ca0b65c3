/**
 * The directory state's contract: every rule of binding_rules.ts, run
 * against the single process (LocalDirectory over the SQLite database) and
 * against a real redis-server (RedisDirectory), with one fake clock. Two
 * stores cannot drift unseen.
 */
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { DirectoryError, InvalidNameError, parseName } from "../../protocol/mod.ts";
import { redisMissing, startRedis } from "../../harness/redis_process.ts";
import type { RedisDirectory } from "./redis_directory.ts";
import {
  at,
  DAY,
  FakeSession,
  type Fixture,
  key,
  names,
  online,
  prekey,
  redisFixture,
  sqliteFixture,
  T0,
  TTL,
} from "./directory_state_fixtures_test.ts";

const RULES: Record<string, (f: Fixture) => Promise<void>> = {
  "registers a user and finds it under any case": async (f) => {
    const state = await f.open();
    const { entry } = await state.register(new FakeSession(), parseName("Alice"), key(1), at);
    assertEquals(entry.name, "Alice");
    assertEquals((await state.lookup(parseName("aLiCe")))?.key, key(1).base64);
    assertEquals(state.localCount, 1);
    assertEquals((await state.binding(parseName("ALICE")))?.name, "Alice");
  },

  "refuses a bound name to another key, online or not, naming what was asked": async (f) => {
    const state = await f.open();
    const alice = await online(state, "alice", key(1));
    const error = await assertRejects(
      () => online(state, "ALICE", key(2)),
      DirectoryError,
      "name-taken",
    );
    assert(error.message.startsWith("The name ALICE belongs to another key"), error.message);
    assert(error.message.endsWith("Choose another name."), error.message);
    await state.leave(alice);
    f.clock.now += 29 * DAY;
    await assertRejects(() => online(state, "alice", key(2)), DirectoryError, "name-taken");
  },

  "lets a name lapse a TTL after its last use, and never while it is online": async (f) => {
    const state = await f.open();
    const alice = await online(state, "alice", key(1));
    f.clock.now += 10 * DAY;
    await state.leave(alice); // its last use: the TTL runs from here
    f.clock.now += TTL - 1;
    await assertRejects(() => online(state, "alice", key(2)), DirectoryError, "name-taken");
    assert(await state.binding(parseName("alice")));
    f.clock.now += 1;
    assertEquals(await state.binding(parseName("alice")), undefined, "lapsed");
    await online(state, "alice", key(2));
    await online(state, "bob", key(3));
    f.clock.now += 60 * DAY;
    await state.maintain();
    await assertRejects(() => online(state, "bob", key(4)), DirectoryError, "name-taken");
  },

  "hands a name back to its owner's new session and names the stale one": async (f) => {
    const state = await f.open();
    const old = await online(state, "alice", key(1));
    const fresh = new FakeSession();
    const result = await state.register(fresh, parseName("alice"), key(1), {
      address: "10.0.0.2",
      port: 5,
    });
    assertEquals(result.replaced, old);
    assertEquals(state.localCount, 1);
    assertEquals(await state.leave(old), undefined, "the stale session no longer owns it");
    assertEquals((await state.lookup(parseName("alice")))?.port, 5);
  },

  "refuses a second registration on one session": async (f) => {
    const state = await f.open();
    const session = await online(state, "alice", key(1));
    await assertRejects(
      () => state.register(session, parseName("alice2"), key(1), at),
      DirectoryError,
      "already-registered",
    );
  },

  "lists by prefix in name order with a limit and a cursor": async (f) => {
    const state = await f.open();
    const sessions: FakeSession[] = [];
    for (const [i, name] of ["bob", "Alice", "alex", "al", "carol", "alfred"].entries()) {
      sessions.push(await online(state, name, key(i + 1)));
    }
    assertEquals(names(await state.list({ limit: 10 })), [
      "al",
      "alex",
      "alfred",
      "Alice",
      "bob",
      "carol",
    ]);
    const page1 = await state.list({ prefix: "AL", limit: 2 });
    assertEquals([names(page1), page1.more], [["al", "alex"], true]);
    const page2 = await state.list({ prefix: "al", limit: 2, after: "alex" });
    assertEquals([names(page2), page2.more], [["alfred", "Alice"], false]);
    const exact = await state.list({ prefix: "al", limit: 4 });
    assertEquals([names(exact).length, exact.more], [4, false], "a full last page has no more");
    assertEquals(names(await state.list({ prefix: "al", limit: 5, after: "ALFRED" })), ["Alice"]);
    assertEquals(names(await state.list({ prefix: "b", limit: 5, after: "a" })), ["bob"]);
    assertEquals(names(await state.list({ prefix: "zed", limit: 5 })), []);
    assertEquals(names(await state.list({ limit: 5, after: "carol" })), []);
    await state.leave(sessions[2]);
    assertEquals(names(await state.list({ prefix: "al", limit: 5 })), ["al", "alfred", "Alice"]);
  },

  "refuses a new name that looks like another key's live binding, naming it": async (f) => {
    const state = await f.open();
    const carol = await online(state, "carol", key(1));
    for (const lookalike of ["caro1", "CAR0L", "cAroI"]) {
      const error = await assertRejects(
        () => online(state, lookalike, key(2)),
        InvalidNameError,
        "name-confusable",
      );
      assert(error.message.startsWith(`The name ${lookalike} looks like carol,`), error.message);
    }
    await online(state, "lI", key(3));
    await assertRejects(() => online(state, "ll", key(4)), InvalidNameError, "name-confusable");
    await state.leave(carol);
    f.clock.now += TTL - 1;
    // An offline binding still counts while it is live.
    await assertRejects(() => online(state, "caro1", key(2)), InvalidNameError, "name-confusable");
    f.clock.now += 1;
    await online(state, "caro1", key(2)); // carol lapsed: it blocks nothing
  },

  "lets one key hold look-alike names of its own": async (f) => {
    const state = await f.open();
    await online(state, "bob", key(1));
    await online(state, "b0b", key(1));
    await assertRejects(() => online(state, "B0B", key(2)), DirectoryError, "name-taken");
  },

  "keeps look-alike bindings made before the rule, and legacy names for their live owners": async (
    f,
  ) => {
    await f.seed("carol", key(1), T0);
    await f.seed("caro1", key(2), T0);
    await f.seed("bob.", key(3), T0);
    const state = await f.open();
    assertEquals((await online(state, "carol", key(1))) instanceof FakeSession, true);
    assertEquals((await online(state, "caro1", key(2))) instanceof FakeSession, true);
    assertEquals(await state.legacyName("bob.", key(3)), "bob.");
    assertEquals(await state.legacyName("BOB.", key(3)), "bob.");
    assertEquals(await state.legacyName("bob.", key(4)), undefined, "only for its owner");
    assertEquals(await state.legacyName("no way!", key(3)), undefined);
    f.clock.now += TTL;
    assertEquals(await state.legacyName("bob.", key(3)), undefined, "not once it lapsed");
  },

  "treats a binding with no key as free, and as blocking no look-alike": async (f) => {
    await f.seed("dave", "", f.clock.now);
    await f.seed("erin", "", f.clock.now);
    const state = await f.open();
    assertEquals(await state.binding(parseName("dave")), undefined);
    await online(state, "dave", key(1));
    await online(state, "er1n", key(2));
    assertEquals((await state.binding(parseName("dave")))?.key, key(1).base64);
  },

  "refreshes the last use of names online, so a restart after a crash keeps them": async (f) => {
    let state = await f.open();
    await online(state, "ghost", key(1)); // its instance crashes before any refresh
    await f.crash(state);
    state = await f.open();
    await f.settle(state);
    f.clock.now += 1;
    await online(state, "alice", key(1));
    f.clock.now += 20 * DAY;
    await state.maintain(); // alice online: her binding's last use is now
    await f.crash(state); // no goodbye for alice
    state = await f.open();
    await f.settle(state);
    f.clock.now += 25 * DAY;
    await assertRejects(() => online(state, "alice", key(2)), DirectoryError, "name-taken");
    await online(state, "ghost", key(2)); // unused since its registration 45 days ago
  },

  "keeps the prekey with its binding: the owner's latest, never another key's, gone when it lapses":
    async (f) => {
      const state = await f.open();
      const first = await online(state, "bob", key(1), { prekey: prekey(1) });
      assertEquals((await state.binding(parseName("bob")))?.prekey, prekey(1));
      await online(state, "bob", key(1), { prekey: prekey(2) });
      assertEquals((await state.binding(parseName("bob")))?.prekey, prekey(2));
      const last = await online(state, "bob", key(1)); // an older client: no prekey
      assertEquals((await state.binding(parseName("bob")))?.prekey, prekey(2));
      await state.leave(first);
      await state.leave(last);
      f.clock.now += TTL;
      await state.maintain();
      assertEquals(await state.binding(parseName("bob")), undefined);
      await online(state, "bob", key(2));
      const bound = await state.binding(parseName("bob"));
      assertEquals([bound?.key, bound?.prekey], [key(2).base64, undefined]);
    },
};

/** Runs every rule as a step, each on a fresh store. */
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

Deno.test("the directory state in SQLite keeps every binding rule", async (t) => {
  await contract(t, sqliteFixture);
});

const missing = redisMissing();

Deno.test({
  name: `the directory state in Redis keeps every binding rule as SQLite does${
    missing ? ` (skipped: ${missing})` : ""
  }`,
  ignore: missing !== undefined,
  async fn(t) {
    const redis = await startRedis();
    try {
      await contract(t, () => Promise.resolve(redisFixture(redis)));
      await t.step(
        "re-asserts its users after Redis lost its data through the same rules: a look-alike or a name taken meanwhile is refused and told",
        async () => {
          const f = redisFixture(redis);
          try {
            await f.seed("carol", key(1), T0);
            await f.seed("caro1", key(2), T0); // look-alikes bound before the rule
            const a = await f.open();
            const carol = await online(a, "carol", key(1));
            const caro1 = await online(a, "caro1", key(2));
            const alice = await online(a, "alice", key(3));
            await redis.cli("FLUSHALL");
            const b = await f.open();
            await online(b, "alice", key(4)); // free now: the store forgot alice
            await (a as RedisDirectory<FakeSession>).recover();
            assertEquals(carol.ended, undefined, "the first re-asserted keeps its name");
            assertEquals(caro1.ended?.reason, "name-lost");
            assert(
              caro1.ended?.message.includes("carol, which looks like your name caro1"),
              caro1.ended?.message,
            );
            assertEquals(alice.ended?.reason, "name-lost");
            assert(
              alice.ended?.message.includes("registered the name alice"),
              alice.ended?.message,
            );
            assertEquals((await b.lookup(parseName("carol")))?.key, key(1).base64);
            assertEquals(await b.lookup(parseName("caro1")), undefined);
            assertEquals((await b.lookup(parseName("alice")))?.key, key(4).base64);
            assertEquals(a.localCount, 1);
          } finally {
            await f.close();
          }
        },
      );
    } finally {
      await redis.close();
    }
  },
});
