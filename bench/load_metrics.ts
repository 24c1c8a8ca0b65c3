/**
 * What the load run reads from the servers it started: their /metrics
 * summed over instances, the disconnects in their logs, Redis's memory.
 *
 * @module
 */
import { type RedisProcess, scrape, type ServeProcess } from "../harness/mod.ts";

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
    const [back, busy, admitted] = await Promise.all(
      ["users_online", 'admission_total{result="busy"}', 'admission_total{result="admitted"}']
        .map((name) => total(servers, `p2pchat_${name}`).catch(() => NaN)),
    );
    const at = ((performance.now() - since) / 1000).toFixed(0);
    log(`… ${back} back after ${at} s (admitted ${admitted}, told busy ${busy})`);
  }, 5000);
}
