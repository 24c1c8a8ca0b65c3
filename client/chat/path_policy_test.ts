import { assertEquals } from "../../tests/assert.ts";
import type { Fingerprint } from "../../crypto/mod.ts";
import { nameKey, parseName } from "../../protocol/mod.ts";
import type { CheckedUser } from "../trust/mod.ts";
import {
  behindNat,
  DIRECT_FAILURE_MEMORY_MS,
  MAX_REMEMBERED_FAILURES,
  PathPolicy,
  PUNCH_FAILURE_MEMORY_MS,
  PUNCH_REUSE_GRACE_MS,
} from "./path_policy.ts";

function user(name: string, address: string, announced: string[]): CheckedUser {
  const n = parseName(name);
  return {
    name: n,
    peer: nameKey(n),
    fingerprint: "ab".repeat(32) as Fingerprint,
    address,
    port: 40123,
    addresses: [address, ...announced],
  };
}

Deno.test("behindNat() reads the directory's view: only private announced addresses, none the one seen", () => {
  const at = (address: string, addresses: string[]) => behindNat(user("bob", address, addresses));
  assertEquals(at("198.51.100.7", ["192.168.1.20"]), true);
  assertEquals(at("198.51.100.7", ["10.0.0.5", "fd00::5"]), true);
  assertEquals(at("198.51.100.7", ["100.64.1.2"]), true, "carrier-grade NAT");
  assertEquals(at("198.51.100.7", []), false, "nothing announced: nothing known");
  assertEquals(at("198.51.100.7", ["198.51.100.7"]), false, "seen as announced");
  assertEquals(at("10.0.0.5", ["10.0.0.5"]), false, "same network as the directory");
  assertEquals(at("198.51.100.7", ["203.0.113.9"]), false, "a public address");
});

Deno.test("PathPolicy races the relay at once only for a peer behind a NAT whose direct attempt lost lately", () => {
  const policy = new PathPolicy("auto");
  const natted = user("bob", "198.51.100.7", ["192.168.1.20"]);
  const open = user("carol", "198.51.100.8", ["203.0.113.9"]);
  const t = 1_000_000;
  assertEquals(
    policy.plan(natted, t),
    { direct: true, relay: "after-head-start" },
    "nothing lost yet",
  );
  policy.handle({ type: "reached", peer: natted.peer, path: "relay", at: t });
  policy.handle({ type: "reached", peer: open.peer, path: "relay", at: t });
  assertEquals(policy.plan(natted, t + 1), { direct: true, relay: "at-once" });
  assertEquals(policy.plan(open, t + 1).relay, "after-head-start", "not behind a NAT");
  assertEquals(
    policy.plan(natted, t + DIRECT_FAILURE_MEMORY_MS).relay,
    "after-head-start",
    "forgotten",
  );
  policy.handle({ type: "reached", peer: natted.peer, path: "direct", at: t + 2 });
  assertEquals(policy.plan(natted, t + 3).relay, "after-head-start", "a direct win forgets it");
});

Deno.test("PathPolicy follows --relay: always never dials, never never relays, only auto moves chats", () => {
  const bob = user("bob", "198.51.100.7", ["192.168.1.20"]);
  assertEquals(new PathPolicy("always").plan(bob, 0), { direct: false, relay: "at-once" });
  assertEquals(new PathPolicy("never").plan(bob, 0), { direct: true, relay: "never" });
  assertEquals(
    ["never", "auto", "always"].map((m) => new PathPolicy(m as "auto").moves),
    [false, true, false],
  );
  assertEquals(new PathPolicy("never").takesOffers, false);
});

Deno.test("PathPolicy remembers a bounded number of peers", () => {
  const policy = new PathPolicy("auto");
  for (let i = 0; i <= MAX_REMEMBERED_FAILURES; i++) {
    policy.handle({ type: "reached", peer: nameKey(parseName(`p${i}`)), path: "relay", at: i });
  }
  const first = user("p0", "198.51.100.7", ["192.168.1.20"]);
  const last = user(`p${MAX_REMEMBERED_FAILURES}`, "198.51.100.7", ["192.168.1.20"]);
  assertEquals(policy.plan(first, MAX_REMEMBERED_FAILURES).relay, "after-head-start", "dropped");
  assertEquals(policy.plan(last, MAX_REMEMBERED_FAILURES).relay, "at-once");
});

// Hole punching (docs/protocol.md §11.2).
Deno.test("PathPolicy does not punch again with a peer whose punch failed lately, and forgets", () => {
  const policy = new PathPolicy("auto");
  const bob = nameKey(parseName("bob"));
  const t = 1_000_000;
  assertEquals(policy.mayPunch(bob, t), true);
  policy.handle({ type: "punched", peer: bob, result: "failed", at: t });
  assertEquals(policy.mayPunch(bob, t + 1), false, "failed lately");
  assertEquals(policy.mayPunch(bob, t + PUNCH_FAILURE_MEMORY_MS), true, "forgotten in time");
  policy.handle({ type: "punched", peer: bob, result: "failed", at: t + 2 });
  policy.handle({ type: "punched", peer: bob, result: "success", at: t + 3 });
  assertEquals(policy.mayPunch(bob, t + 4), true, "a success forgets it");
  // A punch failure is not a direct attempt lost: the relay plan is not changed by it.
  const natted = user("bob", "198.51.100.7", ["192.168.1.20"]);
  policy.handle({ type: "punched", peer: bob, result: "failed", at: t + 5 });
  assertEquals(policy.plan(natted, t + 6).relay, "after-head-start");
});

Deno.test("PathPolicy punches only with --punch on and --relay auto, remembering a bounded number", () => {
  const bob = nameKey(parseName("bob"));
  assertEquals(new PathPolicy("auto", false).mayPunch(bob, 0), false);
  assertEquals(new PathPolicy("always").punches, false);
  assertEquals(new PathPolicy("never").punches, false);
  const policy = new PathPolicy("auto");
  for (let i = 0; i <= MAX_REMEMBERED_FAILURES; i++) {
    policy.handle({ type: "punched", peer: nameKey(parseName(`p${i}`)), result: "failed", at: i });
  }
  assertEquals(policy.mayPunch(nameKey(parseName("p0")), MAX_REMEMBERED_FAILURES), true, "dropped");
  assertEquals(policy.mayPunch(nameKey(parseName("p1")), MAX_REMEMBERED_FAILURES), false);
});

Deno.test("PathPolicy has a punch wait while the last punched chat with a peer closes", () => {
  const policy = new PathPolicy("auto");
  const bob = nameKey(parseName("bob"));
  assertEquals(policy.punchWait(bob, 0), 0);
  policy.handle({ type: "punched-ended", peer: bob, at: 1_000 });
  assertEquals(policy.punchWait(bob, 1_100), PUNCH_REUSE_GRACE_MS - 100);
  assertEquals(policy.punchWait(bob, 1_000 + PUNCH_REUSE_GRACE_MS), 0);
  assertEquals(policy.punchWait(nameKey(parseName("carol")), 1_100), 0, "per peer");
});
