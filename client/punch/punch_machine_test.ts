import { assertEquals } from "../../tests/assert.ts";
import {
  type Endpoint,
  MAX_PUNCH_RTT_MS,
  PUNCH_BACKOFF_MS,
  PUNCH_NEXT_WAIT_MS,
  PUNCH_REPLY_TIMEOUT_MS,
  type PunchAction,
  PunchMachine,
  type PunchReads,
} from "./punch_machine.ts";

const ALICE: Endpoint = { address: "203.0.113.7", port: 51234 };
const BOB: Endpoint = { address: "198.51.100.2", port: 40999 };

/** What the machine reads: `own` null when this side cannot punch. */
function reads(own: Endpoint | null = ALICE, may = true): PunchReads {
  return { own: () => own ?? undefined, mayPunch: () => may };
}

const kinds = (actions: PunchAction[]) => actions.map((a) => a.type);
const said = (actions: PunchAction[]) =>
  actions.flatMap((a) => a.type === "say" ? [a.message] : []);

Deno.test("PunchMachine leader: connect, the answer measures the round trip, sync, dial half of it later", () => {
  const leader = new PunchMachine("leader", reads());
  const started = leader.handle({ type: "start", now: 1000 });
  assertEquals(said(started), [{ type: "punch-connect", attempt: 1, ...ALICE }]);
  assertEquals(started.at(-1), { type: "timer", at: 1000 + PUNCH_REPLY_TIMEOUT_MS });
  const answered = leader.handle({ type: "connect", attempt: 1, peer: BOB, now: 1080 });
  assertEquals(said(answered), [{ type: "punch-sync", attempt: 1 }]);
  assertEquals(answered.find((a) => a.type === "dial"), {
    type: "dial",
    attempt: 1,
    peer: BOB,
    at: 1080 + 40,
  });
  const moved = leader.handle({ type: "dialed", attempt: 1, outcome: "moved", now: 1300 });
  assertEquals(moved.filter((a) => a.type !== "timer"), [
    { type: "report", result: "success" },
    { type: "done", outcome: { result: "success", attempts: 1 } },
  ]);
  assertEquals(leader.done, true);
  assertEquals(leader.handle({ type: "start", now: 2000 }), [], "over is over");
});

Deno.test("PunchMachine leader: a round trip is counted at most MAX_PUNCH_RTT_MS", () => {
  const leader = new PunchMachine("leader", reads());
  leader.handle({ type: "start", now: 0 });
  const late = leader.handle({ type: "connect", attempt: 1, peer: BOB, now: 2900 });
  assertEquals(late.find((a) => a.type === "dial"), {
    type: "dial",
    attempt: 1,
    peer: BOB,
    at: 2900 + MAX_PUNCH_RTT_MS / 2,
  });
});

Deno.test("PunchMachine leader: three attempts with backoff at most, then failed and reported once", () => {
  const leader = new PunchMachine("leader", reads());
  leader.handle({ type: "start", now: 0 });
  // Attempt 1: no answer over the relay.
  assertEquals(leader.handle({ type: "timer", now: PUNCH_REPLY_TIMEOUT_MS }), [
    { type: "timer", at: PUNCH_REPLY_TIMEOUT_MS + PUNCH_BACKOFF_MS[0] },
  ]);
  const second = leader.handle({ type: "timer", now: 4000 });
  assertEquals(said(second), [{ type: "punch-connect", attempt: 2, ...ALICE }]);
  // A late answer to attempt 1 is not attempt 2's.
  assertEquals(leader.handle({ type: "connect", attempt: 1, peer: BOB, now: 4001 }), []);
  leader.handle({ type: "connect", attempt: 2, peer: BOB, now: 4010 });
  assertEquals(leader.handle({ type: "dialed", attempt: 2, outcome: "timeout", now: 5600 }), [
    { type: "timer", at: 5600 + PUNCH_BACKOFF_MS[1] },
  ]);
  leader.handle({ type: "timer", now: 6100 });
  leader.handle({ type: "connect", attempt: 3, peer: BOB, now: 6110 });
  const last = leader.handle({ type: "dialed", attempt: 3, outcome: "timeout", now: 7700 });
  assertEquals(last.filter((a) => a.type !== "timer"), [
    { type: "report", result: "failed" },
    { type: "done", outcome: { result: "failed", attempts: 3, detail: "timeout" } },
  ]);
  assertEquals(leader.handle({ type: "timer", now: 9000 }), []);
});

Deno.test("PunchMachine leader: nothing to punch from, a peer that will not, or one NAT: skipped quietly", () => {
  const unregistered = new PunchMachine("leader", reads(null));
  assertEquals(unregistered.handle({ type: "start", now: 0 }).at(-1), {
    type: "done",
    outcome: { result: "skipped" },
  });
  const declined = new PunchMachine("leader", reads());
  declined.handle({ type: "start", now: 0 });
  assertEquals(
    kinds(declined.handle({ type: "connect", attempt: 1, now: 5 })),
    ["timer", "done"],
  );
  const sameNat = new PunchMachine("leader", reads());
  sameNat.handle({ type: "start", now: 0 });
  const neighbour = { address: ALICE.address, port: 1 };
  assertEquals(sameNat.handle({ type: "connect", attempt: 1, peer: neighbour, now: 5 }).at(-1), {
    type: "done",
    outcome: { result: "skipped" },
  });
});

Deno.test("PunchMachine follower: answers with its own address, dials on sync, waits for the next attempt", () => {
  const follower = new PunchMachine("follower", reads(BOB));
  const asked = follower.handle({ type: "connect", attempt: 1, peer: ALICE, now: 100 });
  assertEquals(said(asked), [{ type: "punch-connect", attempt: 1, ...BOB }]);
  assertEquals(follower.handle({ type: "sync", attempt: 2, now: 101 }), [], "not this attempt's");
  assertEquals(follower.handle({ type: "sync", attempt: 1, now: 140 }), [
    { type: "timer", at: undefined },
    { type: "dial", attempt: 1, peer: ALICE, at: 140 },
  ]);
  assertEquals(follower.handle({ type: "dialed", attempt: 1, outcome: "refused", now: 150 }), [
    { type: "timer", at: 150 + PUNCH_NEXT_WAIT_MS },
  ]);
  // A repeated or older attempt number is ignored: a peer cannot make us dial again and again.
  assertEquals(follower.handle({ type: "connect", attempt: 1, peer: ALICE, now: 400 }), []);
  follower.handle({ type: "connect", attempt: 2, peer: ALICE, now: 500 });
  follower.handle({ type: "sync", attempt: 2, now: 510 });
  // The leader starts attempt 3 while our dial of attempt 2 still runs: it is given up.
  const third = follower.handle({ type: "connect", attempt: 3, peer: ALICE, now: 2000 });
  assertEquals(kinds(third), ["cancel-dial", "say", "timer"]);
  assertEquals(follower.handle({ type: "dialed", attempt: 2, outcome: "moved", now: 2001 }), []);
  follower.handle({ type: "sync", attempt: 3, now: 2010 });
  const done = follower.handle({
    type: "dialed",
    attempt: 3,
    outcome: "unexpected-key",
    now: 2100,
  });
  assertEquals(done.at(-1), {
    type: "done",
    outcome: { result: "failed", attempts: 3, detail: "unexpected-key" },
  });
  assertEquals(kinds(done).includes("report"), false, "only the leader reports");
});

Deno.test("PunchMachine follower: not now when it cannot or failed lately; a silent leader ends it", () => {
  const remembered = new PunchMachine("follower", reads(BOB, false));
  const notNow = remembered.handle({ type: "connect", attempt: 1, peer: ALICE, now: 0 });
  assertEquals(said(notNow), [{ type: "punch-connect", attempt: 1 }]);
  assertEquals(notNow.at(-1), { type: "done", outcome: { result: "skipped" } });
  const waiting = new PunchMachine("follower", reads(BOB));
  waiting.handle({ type: "connect", attempt: 1, peer: ALICE, now: 0 });
  assertEquals(waiting.handle({ type: "timer", now: PUNCH_REPLY_TIMEOUT_MS }), [
    { type: "timer", at: PUNCH_REPLY_TIMEOUT_MS + PUNCH_NEXT_WAIT_MS },
  ]);
  assertEquals(waiting.handle({ type: "timer", now: 99_999 }).at(-1), {
    type: "done",
    outcome: { result: "failed", attempts: 1, detail: "no-reply" },
  });
});

Deno.test("PunchMachine: stop gives up quietly at any point, the dial under way too", () => {
  const leader = new PunchMachine("leader", reads());
  leader.handle({ type: "start", now: 0 });
  leader.handle({ type: "connect", attempt: 1, peer: BOB, now: 10 });
  assertEquals(leader.handle({ type: "stop" }), [
    { type: "timer", at: undefined },
    { type: "cancel-dial" },
    { type: "done", outcome: { result: "skipped" } },
  ]);
  assertEquals(leader.handle({ type: "dialed", attempt: 1, outcome: "moved", now: 20 }), []);
});
