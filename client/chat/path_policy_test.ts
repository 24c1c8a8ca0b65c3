import { assertEquals } from "../../tests/assert.ts";
import type { Fingerprint } from "../../crypto/mod.ts";
import { nameKey, parseName } from "../../protocol/mod.ts";
import type { CheckedUser } from "../trust/mod.ts";
import {
  behindNat,
  DIRECT_FAILURE_MEMORY_MS,
  MAX_REMEMBERED_FAILURES,
  PathPolicy,
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
