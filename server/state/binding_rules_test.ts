import { assertEquals } from "../../tests/assert.ts";
import { type NameKey, parseName } from "../../protocol/mod.ts";
import {
  type BindingFacts,
  decideImport,
  decideRegistration,
  inWindow,
  isLive,
  listPage,
  listWindow,
  prekeyChange,
  REFRESH_INTERVAL_MS,
  refreshDue,
  refreshIntervalMs,
} from "./binding_rules.ts";

const DAY = 24 * 3600 * 1000;
const TTL = 30 * DAY;
const NOW = 1_800_000_000_000;
const bound = (over: Partial<BindingFacts> = {}): BindingFacts => ({
  name: "alice",
  key: "k1",
  lastUsed: NOW - DAY,
  online: false,
  ...over,
});
const decide = (current: BindingFacts | undefined, key = "k2", lookalikes: BindingFacts[] = []) =>
  decideRegistration({
    name: parseName("alice"),
    key,
    now: NOW,
    ttlMs: TTL,
    current,
    lookalikes: () => lookalikes.map((b) => ({ ...b, nameKey: b.name.toLowerCase() as NameKey })),
  });

Deno.test("isLive() holds a binding online or used within the TTL, and never one with no key", () => {
  assertEquals(isLive(bound(), NOW, TTL), true);
  assertEquals(isLive(bound({ lastUsed: NOW - TTL }), NOW, TTL), false);
  assertEquals(isLive(bound({ lastUsed: NOW - TTL, online: true }), NOW, TTL), true);
  assertEquals(isLive(bound({ key: "", online: true }), NOW, TTL), false);
});

Deno.test("decideRegistration() refuses a live binding of another key and frees a lapsed or keyless one", () => {
  assertEquals(decide(bound()), { kind: "taken", bound: "alice" });
  assertEquals(decide(bound({ lastUsed: NOW - TTL })).kind, "bind");
  assertEquals(decide(bound({ key: "" })), {
    kind: "bind",
    write: true,
    fresh: true,
    lastUsed: NOW,
  });
});

Deno.test("decideRegistration() checks look-alikes only for a name new to the key, naming the first", () => {
  const carol = bound({ name: "carol", key: "k3" });
  const caro1 = bound({ name: "caro1", key: "k4" });
  assertEquals(decide(undefined, "k2", [caro1, carol]), { kind: "confusable", other: "caro1" });
  assertEquals(decide(undefined, "k3", [carol]).kind, "bind", "one key may hold look-alikes");
  assertEquals(decide(bound({ key: "k2" }), "k2", [carol]).kind, "bind", "bound before the rule");
  assertEquals(decide(undefined, "k2", [bound({ name: "carol", key: "" })]).kind, "bind");
});

Deno.test("decideRegistration() rewrites a binding of the same key only when respelled or due for a refresh", () => {
  const mine = bound({ key: "k2", lastUsed: NOW - 60_000 });
  assertEquals(decide(mine), { kind: "bind", write: false, fresh: false, lastUsed: NOW - 60_000 });
  const respelled = decide({ ...mine, name: "Alice" });
  assertEquals(respelled.kind === "bind" && respelled.write, true);
  const due = decide({ ...mine, lastUsed: NOW - REFRESH_INTERVAL_MS });
  assertEquals(due, { kind: "bind", write: true, fresh: false, lastUsed: NOW });
});

Deno.test("refreshDue() is hourly, or twice per TTL when the TTL is shorter", () => {
  assertEquals(refreshIntervalMs(TTL), REFRESH_INTERVAL_MS);
  assertEquals(refreshIntervalMs(1000), 500);
  assertEquals(refreshDue(NOW - 499, NOW, 1000), false);
  assertEquals(refreshDue(NOW - 500, NOW, 1000), true);
});

Deno.test("prekeyChange() keeps a prekey only with the key that registered it", () => {
  const mine = { kind: "bind", write: false, fresh: false, lastUsed: NOW } as const;
  const fresh = { ...mine, fresh: true };
  assertEquals(prekeyChange(mine, { given: true, sameAsKept: true }), "keep");
  assertEquals(prekeyChange(mine, { given: true, sameAsKept: false }), "put");
  assertEquals(prekeyChange(fresh, { given: true, sameAsKept: true }), "put");
  assertEquals(prekeyChange(mine, { given: false, sameAsKept: false }), "keep");
  assertEquals(prekeyChange(fresh, { given: false, sameAsKept: false }), "drop");
});

Deno.test("decideImport() copies only what has time left and never over a live binding", () => {
  const copy = (current?: BindingFacts, lastUsed = NOW - DAY) =>
    decideImport({ key: "k1", lastUsed, current, now: NOW, ttlMs: TTL });
  assertEquals(copy(undefined, NOW - TTL), "expired");
  assertEquals(copy(), "copied");
  assertEquals(copy(bound()), "present");
  assertEquals(copy(bound({ key: "k2" })), "conflict");
  assertEquals(copy(bound({ key: "k2", lastUsed: NOW - TTL })), "copied");
});

Deno.test("listWindow() starts at the cursor when it is at or past the prefix, else at the prefix", () => {
  assertEquals(listWindow({ prefix: "AL", limit: 2 }), {
    prefix: "al",
    start: "al",
    exclusive: false,
    read: 3,
    limit: 2,
  });
  const after = listWindow({ prefix: "al", after: "Alex", limit: 2 });
  assertEquals([after.start, after.exclusive], ["alex", true]);
  assertEquals(listWindow({ prefix: "b", after: "a", limit: 2 }).start, "b");
  assertEquals([inWindow(after, "alex"), inWindow(after, "alfred"), inWindow(after, "bob")], [
    false,
    true,
    false,
  ]);
  assertEquals(listPage(after, ["x", undefined, "y"]), { users: ["x"], more: true });
  assertEquals(listPage(after, ["x", "y"]), { users: ["x", "y"], more: false });
});
