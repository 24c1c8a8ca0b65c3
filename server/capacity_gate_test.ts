import { assert, assertEquals } from "../tests/assert.ts";
import { MAX_BUSY_RETRY_MS } from "../crypto/mod.ts";
import {
  CapacityGate,
  DECREASE_EVERY_MS,
  INITIAL_HANDSHAKES,
  LAG_HIGH_MS,
  MIN_RETRY_MS,
  SLOT_HORIZON_MS,
} from "./capacity_gate.ts";

/** A gate on a fake clock. */
function gate(options: { minLimit?: number; maxLimit?: number; initialLimit?: number } = {}) {
  let now = 0;
  const g = new CapacityGate({
    handshakeTimeoutMs: 10_000,
    clock: () => now,
    initialLimit: options.minLimit,
    ...options,
  });
  return { g, advance: (ms: number) => now += ms, now: () => now };
}

Deno.test("capacity gate: admits up to its limit, then says when to come back, never sooner than MIN_RETRY_MS", () => {
  const { g } = gate({ minLimit: 4 });
  for (let i = 0; i < 4; i++) assertEquals(g.request(), { admit: true });
  const busy = g.request();
  assert(!busy.admit);
  assert(busy.retryAfterMs >= MIN_RETRY_MS, `${busy.retryAfterMs} ms`);
  g.done(100, true);
  assertEquals(g.request(), { admit: true }, "a finished handshake frees its place");
});

Deno.test("capacity gate: a fresh directory takes a burst of INITIAL_HANDSHAKES at once", () => {
  let now = 0;
  const g = new CapacityGate({ handshakeTimeoutMs: 10_000, clock: () => now++ });
  for (let i = 0; i < INITIAL_HANDSHAKES; i++) assertEquals(g.request(), { admit: true });
  assert(!g.request().admit);
});

Deno.test("capacity gate: slow start (one more per fast handshake) until most recent handshakes take longer than a quarter of the timeout, which halves it; one slow client is not overload; then AIMD: a tenth off at most every 250 ms, one more per limit's worth of fast ones", () => {
  const { g, advance } = gate({ minLimit: 10, maxLimit: 1000 });
  for (let i = 0; i < 50; i++) {
    assertEquals(g.request(), { admit: true });
    g.done(50, true);
  }
  assertEquals(g.limit, 60, "slow start: a burst is taken at once on a fresh directory");
  g.request();
  g.done(9_000, false); // A client that stalled until it was cut off: its doing, not ours.
  g.request();
  g.done(3_000, true); // One slow to answer, over 2,500 ms (a quarter of the 10 s timeout).
  assert(g.limit >= 60, "a few slow clients shrink nobody's room");
  let before = g.limit;
  let slow = 0;
  while (g.limit >= before && slow < 200) {
    before = g.limit;
    g.request();
    g.done(3_000, true);
    slow++;
  }
  assert(slow >= 4 && slow <= 16, `halved after ${slow} slow handshakes`);
  assertEquals(
    g.limit,
    Math.max(10, Math.floor(before / 2)),
    "the first sign of overload halves it",
  );
  const halved = g.limit;
  g.request();
  g.done(3_000, true);
  assertEquals(g.limit, halved, "not twice within 250 ms");
  advance(DECREASE_EVERY_MS);
  g.request();
  g.done(3_000, true);
  assertEquals(g.limit, Math.floor(halved * 0.9), "then a tenth at a time");
  const cut = g.limit;
  let fast = 0;
  while (g.limit <= cut && fast < 1_000) {
    g.request();
    g.done(50, true);
    fast++;
  }
  // One more per limit's worth (the limit is kept with its fraction: part of one was there).
  assert(fast > cut / 2 && fast <= cut + 40, `up by one after ${fast} fast handshakes`);
});

Deno.test("capacity gate: a lagging event loop takes no new handshake and lowers the limit", () => {
  const { g } = gate({ minLimit: 8 });
  g.lag(LAG_HIGH_MS + 50);
  assert(g.request().admit, "newcomers still trickle in, one at a time");
  assert(!g.request().admit, "established sessions come first: one newcomer while the loop lags");
  g.lag(5);
  assert(g.request().admit);
});

Deno.test("capacity gate: refused and deferred newcomers get slots a little under one completion apart at the measured rate, and past the horizon anywhere in its second half, never more than a client honours", () => {
  const { g, advance } = gate({ minLimit: 10, maxLimit: 10 });
  // Learn a rate: 100 completions a second while saturated, for ten seconds.
  for (let s = 0; s < 10; s++) {
    for (let i = 0; i < 100; i++) {
      while (g.request().admit) { /* fill */ }
      g.done(10, true);
      advance(10);
    }
  }
  assert(Math.abs(g.rate - 100) < 10, `rate ${g.rate}`);
  while (g.request().admit) { /* full */ }
  const waits = Array.from({ length: 50 }, () => g.request()).map((d) =>
    d.admit ? -1 : d.retryAfterMs
  );
  for (let i = 1; i < waits.length; i++) {
    const step = waits[i] - waits[i - 1];
    // 100 a second, handed out a fifth faster (SLOT_OPTIMISM): about 8.3 ms apart.
    assert(step >= 7 && step <= 10, `slot ${i} is ${step} ms after the one before`);
  }
  // Those the startup limits turn away before they ask take their slots in the same schedule.
  const deferred = g.defer();
  assert(deferred - waits[waits.length - 1] >= 7 && deferred - waits[waits.length - 1] <= 10);
  assert(g.request().admit === false, "defer() admits nobody and takes no handshake");
  const far = Array.from({ length: 10_000 }, () => g.request());
  // Past the horizon, anywhere in its second half: spread, and never past what a client honours.
  const beyond = far.slice(-5_000).map((d) => d.admit ? -1 : d.retryAfterMs);
  assert(beyond.every((ms) => ms >= SLOT_HORIZON_MS / 2 && ms <= SLOT_HORIZON_MS));
  assert(new Set(beyond).size > 1_000, "spread, not piled at one instant");
  assert(SLOT_HORIZON_MS < MAX_BUSY_RETRY_MS);
});

/**
 * A discrete-event simulation of a restart storm on the gate's own clock: a
 * directory that finishes `rate` handshakes a second (one core: one after
 * another) and N clients that all arrive in the first second and honour Busy
 * with up to a tenth of jitter. For the first `stallMs` the directory
 * finishes nothing (busy with the flood itself, as a real one is after a
 * restart), and its loop lags when `lagging` (else only its handshakes are
 * slow: clients that are slow to answer).
 */
function storm(
  n: number,
  rate: number,
  stallMs = 0,
  lagging = true,
): { lastMs: number; meanBusy: number } {
  let now = 0;
  const g = new CapacityGate({ handshakeTimeoutMs: 10_000, clock: () => now });
  const service = 1000 / rate;
  const busyAnswers: number[] = new Array(n).fill(0);
  const queue = Array.from({ length: n }, (_, i) => ({ t: Math.random() * 1000, i }))
    .sort((a, b) => a.t - b.t);
  let cpuFreeAt = stallMs;
  let done = 0;
  let last = 0;
  const pending: { end: number; start: number }[] = [];
  while (done < n) {
    // The next thing to happen: an arrival, or the end of an admitted handshake.
    pending.sort((a, b) => a.end - b.end);
    const nextEnd = pending[0]?.end ?? Infinity;
    const nextArrival = queue[0]?.t ?? Infinity;
    now = Math.min(nextEnd, nextArrival);
    g.lag(now < stallMs && lagging ? 500 : 0);
    if (nextEnd <= nextArrival) {
      const finished = pending.shift()!;
      g.done(finished.end - finished.start, true);
      done++;
      last = now;
      continue;
    }
    const arrival = queue.shift()!;
    const decision = g.request(String(arrival.i));
    if (decision.admit) {
      cpuFreeAt = Math.max(cpuFreeAt, now) + service;
      pending.push({ start: now, end: cpuFreeAt });
    } else {
      busyAnswers[arrival.i]++;
      const back = now + decision.retryAfterMs * (1 + Math.random() * 0.1);
      const at = queue.findIndex((q) => q.t > back);
      queue.splice(at === -1 ? queue.length : at, 0, { t: back, i: arrival.i });
    }
  }
  return { lastMs: last, meanBusy: busyAnswers.reduce((a, b) => a + b, 0) / n };
}

Deno.test("capacity gate: a source told Busy that comes back before its slot gets slots of its own up to --per-source-startups, then its latest again, pushing nobody else's out", () => {
  const SLOTS_PER_SOURCE = 32;
  let now = 0;
  const advance = (ms: number) => now += ms;
  const g = new CapacityGate({
    handshakeTimeoutMs: 10_000,
    clock: () => now,
    minLimit: 4,
    maxLimit: 4,
    initialLimit: 4,
    slotsPerSource: SLOTS_PER_SOURCE,
  });
  for (let i = 0; i < 4; i++) g.request("honest");
  // Users behind one address get slots of their own, up to SLOTS_PER_SOURCE.
  const own = Array.from({ length: SLOTS_PER_SOURCE }, () => g.request("mallory"));
  const waits = own.map((d) => d.admit ? -1 : d.retryAfterMs);
  assertEquals(new Set(waits).size, SLOTS_PER_SOURCE);
  const first = { retryAfterMs: waits[waits.length - 1] };
  assert(first.retryAfterMs > 100);
  // Past that, the same source is told its latest slot again, however often it asks.
  for (let i = 0; i < 100; i++) {
    advance(1);
    const again = g.request("mallory");
    assert(!again.admit);
    assertEquals(
      again.retryAfterMs,
      Math.round(Math.max(MIN_RETRY_MS, first.retryAfterMs - (i + 1))),
    );
  }
  const honest = g.request("newcomer");
  assert(!honest.admit);
  // One slot past mallory's latest, not a hundred.
  const soonest = Math.max(MIN_RETRY_MS, first.retryAfterMs - 100);
  assert(honest.retryAfterMs <= soonest + 5, `told ${honest.retryAfterMs}`);
});

Deno.test("property: a restart storm settles: N clients that come back when told all get in within 1.3 N/R + 10 s, with few Busy answers each, also when the flood stalls the directory for its first seconds", () => {
  const runs: [number, number, number, boolean][] = [
    [5_000, 300, 0, false],
    [19_500, 300, 0, false],
    [2_000, 50, 0, false],
    [19_500, 300, 8_000, true],
    [5_000, 300, 5_000, true],
    [19_500, 300, 8_000, false],
  ];
  for (const [n, rate, stallMs, lagging] of runs) {
    const { lastMs, meanBusy } = storm(n, rate, stallMs, lagging);
    const bound = 1.3 * n / rate + 10;
    const goodput = n / ((lastMs - stallMs) / 1000) / rate;
    const what = `${n} at ${rate}/s, stalled ${stallMs / 1000} s${lagging ? ", lagging" : ""}`;
    console.log(
      `storm of ${what}: all in after ${(lastMs / 1000).toFixed(1)} s (bound ${
        bound.toFixed(1)
      } s), ${meanBusy.toFixed(2)} Busy answers per client, goodput ${(goodput * 100).toFixed(0)}%`,
    );
    assert(lastMs / 1000 <= bound, `${what}: all in after ${lastMs / 1000} s > ${bound} s`);
    assert(meanBusy < 4, `${what}: ${meanBusy.toFixed(2)} Busy answers per client`);
    assert(goodput >= 0.75, `${what}: goodput ${(goodput * 100).toFixed(0)}% of capacity`);
  }
});
