/**
 * What the load run reads from the servers it started: their /metrics
 * summed over instances, the disconnects in their logs, Redis's memory.
 *
 * @module
 */
import { type RedisProcess, scrape, type ServeProcess } from "../harness/mod.ts";
import { type Fingerprint, Identity } from "../crypto/mod.ts";
import { DirectoryClient } from "../client/directory/mod.ts";

/** Seconds until `check` holds, polled every 100 ms, or null past `limitMs`. */
export async function until(
  check: () => Promise<boolean>,
  limitMs: number,
): Promise<number | null> {
  const started = performance.now();
  while (performance.now() - started < limitMs) {
    if (await check().catch(() => false)) return (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

/** Sums `name` over every instance's /metrics. */
export async function total(servers: ServeProcess[], name: string): Promise<number> {
  const values = await Promise.all(servers.map((s) => scrape(`${s.metricsUrl}/metrics`, name)));
  return values.reduce((a, b) => a + b, 0);
}

/** The sum of `values`. */
export const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** Connections the servers ended, by how (their logs' disconnect lines, not counting goodbyes). */
export function disconnects(servers: ServeProcess[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const server of servers) {
    for (const line of server.log) {
      const how = line.match(/ disconnect .*how=(\S+)/)?.[1];
      if (how && how !== "goodbye") counts[how] = (counts[how] ?? 0) + 1;
    }
  }
  return counts;
}

/** Bytes `redis` holds now. */
export async function redisMemory(redis: RedisProcess): Promise<number> {
  const info = await redis.cli("INFO", "memory");
  return Number(info.match(/^used_memory:(\d+)/m)?.[1] ?? NaN);
}

/**
 * Every 5 s until cleared: how many of `servers`' users are back since
 * `since` (performance.now()), and how many newcomers were admitted or told Busy.
 */
export function stormProgress(
  servers: ServeProcess[],
  since: number,
  log: (line: string) => void,
): ReturnType<typeof setInterval> {
  return setInterval(async () => {
    const [back, busy, admitted, limit, inProgress, rate, lag, p90] = await Promise.all(
      [
        "users_online",
        'admission_total{result="busy"}',
        'admission_total{result="admitted"}',
        "admission_limit",
        "handshakes_in_progress",
        "handshake_rate",
        "event_loop_lag_seconds",
        'handshake_seconds{quantile="0.9"}',
      ].map((name) => total(servers, `p2pchat_${name}`).catch(() => NaN)),
    );
    const at = ((performance.now() - since) / 1000).toFixed(0);
    log(
      `… ${back} back after ${at} s (admitted ${admitted}, told busy ${busy}; gate ${inProgress}/${limit} at ${rate}/s, handshake p90 ${
        p90.toFixed(2)
      } s, lag ${lag.toFixed(2)} s)`,
    );
  }, 5000);
}

/**
 * With `registered` users load0… online at `at`: the times (ms) of 2,000
 * lookups of random ones and 500 lists by prefix, from a client of its own.
 */
export async function latencies(
  at: { hostname: string; port: number },
  fingerprint: Fingerprint,
  registered: number,
): Promise<{ lookups: number[]; lists: number[] }> {
  const probe = await DirectoryClient.connect(at, {
    identity: Identity.generate(),
    expectedServer: fingerprint,
    heartbeatMs: 0,
  });
  await probe.register("loadprobe", 1);
  const lookups: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const name = `load${Math.floor(Math.random() * registered)}`;
    const t = performance.now();
    // A not-found answer is timed as any other: the directory did the same work.
    await probe.lookup(name).catch(() => {});
    lookups.push(performance.now() - t);
  }
  const lists: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t = performance.now();
    await probe.list({ prefix: `load${Math.floor(Math.random() * 100)}`, limit: 50 });
    lists.push(performance.now() - t);
  }
  await probe.bye();
  return { lookups, lists };
}
