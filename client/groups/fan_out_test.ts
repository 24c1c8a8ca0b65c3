import { assertEquals } from "../../tests/assert.ts";
import { Identity } from "../../crypto/mod.ts";
import { parseName } from "../../protocol/mod.ts";
import { BLOCKED_RECHECK_MS, FanOut, OFFLINE_RECHECK_MS } from "./fan_out.ts";
import type { GroupFrame } from "./group_frames.ts";
import { member } from "./membership.ts";

const bob = member(parseName("bob"), Identity.generate().public);
const group = "3c".repeat(16);
const msg = (n: number): GroupFrame => ({
  type: "group-msg",
  group,
  version: 1,
  seq: n,
  since: 1,
  id: String(n).padStart(32, "0"),
  text: `m${n}`,
  time: 0,
});
const send = (f: FanOut<string>, n: number, now = 0) =>
  f.handle({ type: "send", to: bob, frames: [msg(n)], now });

Deno.test("FanOut routes a member once, queueing what comes meanwhile, and writes it all on the link", () => {
  const f = new FanOut<string>();
  assertEquals(send(f, 1), [{ type: "route", to: bob, group }]);
  assertEquals(send(f, 2), []);
  const routed = f.handle({
    type: "routed",
    fingerprint: bob.fingerprint,
    result: { kind: "linked", link: "L" },
    now: 0,
  });
  assertEquals(routed, [{ type: "write", link: "L", frames: [msg(1), msg(2)] }]);
  assertEquals(send(f, 3), [{ type: "write", link: "L", frames: [msg(3)] }]);
});

Deno.test("FanOut mails a member found offline, and looks again after OFFLINE_RECHECK_MS; a blocked one gets nothing", () => {
  const f = new FanOut<string>();
  send(f, 1);
  assertEquals(
    f.handle({ type: "routed", fingerprint: bob.fingerprint, result: { kind: "offline" }, now: 0 }),
    [{ type: "mail", to: bob, frames: [msg(1)] }],
  );
  assertEquals(send(f, 2, 1), [{ type: "mail", to: bob, frames: [msg(2)] }]);
  assertEquals(send(f, 3, OFFLINE_RECHECK_MS), [{ type: "route", to: bob, group }]);
  f.handle({ type: "routed", fingerprint: bob.fingerprint, result: { kind: "blocked" }, now: 0 });
  assertEquals(send(f, 4, 1), []);
  assertEquals(send(f, 5, BLOCKED_RECHECK_MS).map((a) => a.type), ["route"]);
});

Deno.test("FanOut sends again, another way, what a link carried and the member did not show when it went down", () => {
  const f = new FanOut<string>();
  f.handle({ type: "link-up", member: bob, link: "L" });
  send(f, 1);
  send(f, 2);
  f.handle({ type: "acked", fingerprint: bob.fingerprint, ids: [String(1).padStart(32, "0")] });
  assertEquals(f.handle({ type: "link-down", link: "L", now: 0 }), [{
    type: "route",
    to: bob,
    group,
  }]);
  assertEquals(
    f.handle({ type: "routed", fingerprint: bob.fingerprint, result: { kind: "offline" }, now: 0 }),
    [{ type: "mail", to: bob, frames: [msg(2)] }],
  );
});
