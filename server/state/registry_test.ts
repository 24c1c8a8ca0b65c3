import {
  DirectoryError,
  InvalidNameError,
  type Name,
  type NameKey,
  nameKey,
  parseName,
} from "../../protocol/mod.ts";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { MemoryNameStore } from "./name_store.ts";
import { type ProvenKey, Registry } from "./registry.ts";

const key = (n: number): ProvenKey => ({
  raw: new Uint8Array(32).fill(n),
  base64: `key${n}`,
  fingerprint: `fp${n}`,
});
const at = { address: "127.0.0.1", port: 4000 };
const DAY = 24 * 3600 * 1000;

function setup(): { registry: Registry<string>; clock: { now: number }; store: MemoryNameStore } {
  const clock = { now: 1_000_000 };
  const store = new MemoryNameStore();
  return {
    registry: new Registry<string>(store, { clock: () => clock.now, nameTtlMs: 30 * DAY }),
    clock,
    store,
  };
}

Deno.test("registry registers a user and finds it under any case", () => {
  const { registry } = setup();
  const { entry } = registry.register("s1", parseName("Alice"), key(1), at);
  assertEquals(entry, {
    name: "Alice",
    address: "127.0.0.1",
    port: 4000,
    key: "key1",
    fingerprint: "fp1",
    addresses: [],
  });
  assertEquals(registry.lookup(parseName("aLiCe")), entry);
  assertEquals(registry.onlineCount, 1);
});

Deno.test("registry refuses a bound name to another key, online or not", async () => {
  const { registry, clock } = setup();
  registry.register("s1", parseName("alice"), key(1), at);
  await assertRejects(
    () => Promise.resolve().then(() => registry.register("s2", parseName("ALICE"), key(2), at)),
    DirectoryError,
    "name-taken",
  );
  registry.leave("s1");
  clock.now += 29 * DAY;
  await assertRejects(
    () => Promise.resolve().then(() => registry.register("s2", parseName("alice"), key(2), at)),
    DirectoryError,
    "name-taken",
  );
});

Deno.test("registry lets a name lapse after the TTL unused", () => {
  const { registry, clock } = setup();
  registry.register("s1", parseName("alice"), key(1), at);
  registry.leave("s1");
  clock.now += 31 * DAY;
  assertEquals(registry.register("s2", parseName("alice"), key(2), at).entry.key, "key2");
});

Deno.test("registry never lapses a name that is online", () => {
  const { registry, clock } = setup();
  registry.register("s1", parseName("alice"), key(1), at);
  clock.now += 60 * DAY;
  assertEquals(registry.purgeExpired(), 0);
  let refused = false;
  try {
    registry.register("s2", parseName("alice"), key(2), at);
  } catch (error) {
    refused = error instanceof DirectoryError && error.code === "name-taken";
  }
  assert(refused);
});

Deno.test("registry hands a name back to its owner's new session and names the stale one", () => {
  const { registry } = setup();
  registry.register("old", parseName("alice"), key(1), at);
  const result = registry.register("new", parseName("alice"), key(1), {
    address: "10.0.0.2",
    port: 5,
  });
  assertEquals(result.replaced, "old");
  assertEquals(registry.onlineCount, 1);
  assertEquals(registry.leave("old"), undefined, "the stale session no longer owns it");
  assertEquals(registry.lookup(parseName("alice"))?.port, 5);
});

Deno.test("registry refuses a second registration on one session", async () => {
  const { registry } = setup();
  registry.register("s1", parseName("alice"), key(1), at);
  await assertRejects(
    () => Promise.resolve().then(() => registry.register("s1", parseName("alice2"), key(1), at)),
    DirectoryError,
    "already-registered",
  );
});

Deno.test("registry lists by prefix in name order with a limit and a cursor", () => {
  const { registry } = setup();
  for (const [i, name] of ["bob", "Alice", "alex", "al", "carol", "alfred"].entries()) {
    registry.register(`s${i}`, parseName(name), key(i), at);
  }
  const names = (r: { users: { name: string }[] }): string[] => r.users.map((u) => u.name);
  assertEquals(names(registry.list({ limit: 10 })), [
    "al",
    "alex",
    "alfred",
    "Alice",
    "bob",
    "carol",
  ]);
  const page1 = registry.list({ prefix: "AL", limit: 2 });
  assertEquals(names(page1), ["al", "alex"]);
  assertEquals(page1.more, true);
  const page2 = registry.list({ prefix: "al", limit: 2, after: "alex" });
  assertEquals(names(page2), ["alfred", "Alice"]);
  assertEquals(page2.more, false);
  assertEquals(names(registry.list({ prefix: "zed", limit: 5 })), []);
  registry.leave("s2");
  assertEquals(names(registry.list({ prefix: "al", limit: 5 })), ["al", "alfred", "Alice"]);
});

Deno.test("registry refuses a new name that looks like another key's, naming it", async () => {
  const { registry } = setup();
  registry.register("s1", parseName("carol"), key(1), at);
  for (const lookalike of ["caro1", "CAR0L", "carol".replace("l", "1")]) {
    const error = await assertRejects(
      () => Promise.resolve().then(() => registry.register("s2", parseName(lookalike), key(2), at)),
      InvalidNameError,
      "name-confusable",
    );
    assert(error.message.includes("looks like carol"), error.message);
  }
  registry.register("s3", parseName("lI"), key(3), at);
  await assertRejects(
    () => Promise.resolve().then(() => registry.register("s4", parseName("ll"), key(4), at)),
    InvalidNameError,
    "name-confusable",
  );
});

Deno.test("registry lets one key hold look-alike names, and a lapsed look-alike blocks nothing", () => {
  const { registry, clock } = setup();
  registry.register("s1", parseName("bob"), key(1), at);
  registry.register("s2", parseName("b0b"), key(1), at);
  registry.leave("s1");
  registry.leave("s2");
  clock.now += 31 * DAY;
  assertEquals(registry.register("s3", parseName("B0B"), key(2), at).entry.key, "key2");
});

Deno.test("registry keeps look-alike bindings made before the rule, and legacy names for their owners", () => {
  const { registry, store } = setup();
  const now = 1_000_000;
  // Bound before the rules existed: two look-alikes by different keys, and a trailing dot.
  store.put({
    key: nameKey(parseName("carol")),
    name: parseName("carol"),
    publicKey: key(1).raw,
    lastUsed: now,
  });
  store.put({
    key: nameKey(parseName("caro1")),
    name: parseName("caro1"),
    publicKey: key(2).raw,
    lastUsed: now,
  });
  store.put({ key: "bob." as NameKey, name: "bob." as Name, publicKey: key(3).raw, lastUsed: now });
  assertEquals(registry.register("s1", parseName("carol"), key(1), at).entry.name, "carol");
  assertEquals(registry.register("s2", parseName("caro1"), key(2), at).entry.name, "caro1");
  assertEquals(registry.legacyName("bob.", key(3)), "bob.");
  assertEquals(registry.legacyName("bob.", key(4)), undefined, "only for its owner");
  assertEquals(registry.legacyName("no way!", key(3)), undefined);
});
