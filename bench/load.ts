/**
 * `deno task load [--clients N] [--workers K] [--restart] [--json]`: N clients
 * register over the real secure channel with a real `serve` process, stay
 * online, and the run measures registrations per second, the server's CPU
 * per registration, lookup and list latency with N online, the server's
 * memory, and how long until /metrics shows no users after every client
 * drops at once.
 *
 * With --restart, once all are online the server is killed with SIGKILL and
 * started again on the same port and data; the clients reconnect with the
 * backoff and jitter `connect` uses, and the run measures how long until all
 * N are online again, what was refused meanwhile, and the server's RSS after
 * the storm against before. Bounded in time; it cleans up every process and
 * file it made.
 */
import { parseArgs } from "node:util";
import { Identity } from "../crypto/mod.ts";
import { DEFAULT_HEARTBEAT_MS, DirectoryClient } from "../directory/mod.ts";
import { cpuSeconds, rssKib } from "./proc.ts";
import { percentile, round } from "./stats.ts";
import { eachLine, killAll, scrape, type ServeProcess, startServe } from "../harness/mod.ts";
import { v8FlagsArgument } from "../server/v8_flags.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    clients: { type: "string", default: "19500" },
    workers: { type: "string", default: "4" },
    json: { type: "boolean" },
    restart: { type: "boolean" },
    "idle-timeout": { type: "string", default: "30" },
  },
});
const N = Number(values.clients);
const K = Math.max(1, Math.min(Number(values.workers), N));
const IDLE_S = Number(values["idle-timeout"]);
/** The whole run gives up after this long. */
const DEADLINE_MS = 20 * 60_000;
/** How long the storm may take before the run reports it as not settled. */
const STORM_LIMIT_MS = 5 * 60_000;
const log = (text: string): void => {
  if (!values.json) console.error(text);
};

const data = await Deno.makeTempDir({ prefix: "p2pchat-load-" });
const children: Deno.ChildProcess[] = [];
const deadline = setTimeout(() => {
  console.error(`load: gave up after ${DEADLINE_MS / 60_000} minutes`);
  cleanup().finally(() => Deno.exit(1));
}, DEADLINE_MS);

async function cleanup(): Promise<void> {
  await killAll(children);
  await Deno.remove(data, { recursive: true }).catch(() => {});
}

/** A worker's latest status line. */
type Status = { online: number; reconnects: number; refused: Record<string, number> };

/** `serve` as `deno task serve` runs it (unless LOAD_V8_FLAGS tries other settings). */
async function serve(port = 0): Promise<ServeProcess> {
  const server = await startServe({
    data,
    host: "0.0.0.0",
    v8Flags: Deno.env.get("LOAD_V8_FLAGS")
      ? `--v8-flags=${Deno.env.get("LOAD_V8_FLAGS")}`
      : v8FlagsArgument(),
    args: [
      "--port",
      String(port),
      "--max-per-address",
      "0",
      "--per-source-startups",
      "0",
      "--register-rate",
      "0",
      "--metrics",
      "127.0.0.1:0",
      "--idle-timeout",
      `${IDLE_S}s`,
    ],
  });
  children.push(server.process);
  return server;
}

async function until(check: () => Promise<boolean>, limitMs: number): Promise<number | null> {
  const started = performance.now();
  while (performance.now() - started < limitMs) {
    if (await check().catch(() => false)) return (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

try {
  let server = await serve();
  const { port, fingerprint } = server;
  let metrics = `${server.metricsUrl}/metrics`;
  await new Promise((r) => setTimeout(r, 500));
  const rssBefore = rssKib(server.process.pid);
  const heapBefore = await scrape(metrics, "p2pchat_heap_used_bytes");
  const externalBefore = await scrape(metrics, "p2pchat_external_memory_bytes");
  log(`server on port ${port}, RSS ${rssBefore} KiB; registering ${N} clients from ${K} processes`);

  const perWorker = Math.ceil(N / K);
  const statuses: Status[] = [];
  const cpuStart = cpuSeconds(server.process.pid);
  const started = performance.now();
  const reports = await Promise.all(Array.from({ length: K }, (_, k) => {
    const count = Math.max(0, Math.min(perWorker, N - k * perWorker));
    const worker = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./load_worker.ts", import.meta.url).pathname,
        String(port),
        fingerprint,
        String(k * perWorker),
        String(count),
        "32",
        // As connect does (every 10 s), but often enough for a shortened idle timeout.
        String(Math.min(DEFAULT_HEARTBEAT_MS, (IDLE_S * 1000) / 3)),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    children.push(worker);
    const first = Promise.withResolvers<{ registered: number; failures: number }>();
    // Read every line, so a worker never blocks on a full pipe; keep the latest status.
    eachLine(worker.stdout, (line) => {
      const parsed = JSON.parse(line);
      if ("registered" in parsed) first.resolve(parsed);
      else statuses[k] = parsed;
    }).catch(() => {});
    return first.promise;
  }));
  const registrationSeconds = (performance.now() - started) / 1000;
  const registrationCpu = cpuSeconds(server.process.pid) - cpuStart;
  const registered = reports.reduce((n, r) => n + r.registered, 0);
  const online = await scrape(metrics, "p2pchat_users_online");
  log(
    `${registered} registered in ${
      registrationSeconds.toFixed(1)
    } s (incl. key generation); ${online} online per /metrics`,
  );

  const probe = await DirectoryClient.connect({ hostname: "127.0.0.1", port }, {
    identity: Identity.generate(),
    expectedServer: fingerprint,
    heartbeatMs: 0,
  });
  await probe.register("loadprobe", 1);
  const lookups: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const name = `load${Math.floor(Math.random() * registered)}`;
    const t = performance.now();
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

  const cpuHoldStart = cpuSeconds(server.process.pid);
  await new Promise((r) => setTimeout(r, 5000));
  const cpuPct = ((cpuSeconds(server.process.pid) - cpuHoldStart) / 5) * 100;
  const rssAtN = rssKib(server.process.pid);
  const heapAtN = await scrape(metrics, "p2pchat_heap_used_bytes");
  const externalAtN = await scrape(metrics, "p2pchat_external_memory_bytes");
  log(`RSS at ${online}: ${rssAtN} KiB; CPU while holding: ${cpuPct.toFixed(1)}%`);

  let storm: Record<string, unknown> = {};
  if (values.restart) {
    log(`restart: SIGKILL the server with ${online} online, start it again on port ${port}`);
    await server.stop("SIGKILL");
    const killed = performance.now();
    const refusedBefore = statuses.map((s) => ({ ...s?.refused }));
    server = await serve(port);
    metrics = `${server.metricsUrl}/metrics`;
    const back = await until(
      async () => await scrape(metrics, "p2pchat_users_online") >= online,
      STORM_LIMIT_MS,
    );
    const backS = back === null ? null : (performance.now() - killed) / 1000;
    log(
      backS === null ? "restart: not all came back" : `restart: all back in ${backS.toFixed(1)} s`,
    );
    await new Promise((r) => setTimeout(r, 5000));
    const rssAfterStorm = rssKib(server.process.pid);
    // What was refused during the storm, by reason (name-taken and the like would be bugs).
    const refused: Record<string, number> = {};
    statuses.forEach((s, k) => {
      for (const [code, n] of Object.entries(s?.refused ?? {})) {
        const delta = n - ((refusedBefore[k] as Record<string, number>)?.[code] ?? 0);
        if (delta > 0) refused[code] = (refused[code] ?? 0) + delta;
      }
    });
    storm = {
      restart_all_back_s: backS === null ? null : round(backS, 2),
      restart_online_after: await scrape(metrics, "p2pchat_users_online"),
      restart_refused: refused,
      restart_rss_after_mib: round(rssAfterStorm / 1024, 1),
      restart_rss_change_pct: round(((rssAfterStorm - rssAtN) / rssAtN) * 100, 1),
    };
  }

  for (const worker of children) {
    if (worker === server.process) continue;
    try {
      worker.kill("SIGKILL");
    } catch { /* exited */ }
  }
  const drain = await until(
    async () => await scrape(metrics, "p2pchat_users_online") === 0,
    (IDLE_S + 5) * 1000,
  );
  await new Promise((r) => setTimeout(r, 2000));
  const rssAfterDrain = rssKib(server.process.pid);
  const report = {
    clients_online: online,
    registrations_per_s: Math.round(registered / registrationSeconds),
    registration_cpu_s: round(registrationCpu, 1),
    cpu_ms_per_registration: round((registrationCpu * 1000) / Math.max(1, registered), 2),
    lookup_p50_ms: round(percentile(lookups, 50), 3),
    lookup_p99_ms: round(percentile(lookups, 99), 3),
    list_p99_ms: round(percentile(lists, 99), 3),
    server_rss_mib: round(rssAtN / 1024, 1),
    rss_per_client_kib: round((rssAtN - rssBefore) / Math.max(1, online), 2),
    server_cpu_pct: round(cpuPct, 1),
    drain_s: drain === null ? null : round(drain, 2),
    heap_per_client_kib: round((heapAtN - heapBefore) / 1024 / Math.max(1, online), 2),
    external_per_client_kib: round((externalAtN - externalBefore) / 1024 / Math.max(1, online), 2),
    rss_after_drain_mib: round(rssAfterDrain / 1024, 1),
    rss_before_mib: round(rssBefore / 1024, 1),
    v8_flags: Deno.env.get("LOAD_V8_FLAGS") ?? v8FlagsArgument().replace("--v8-flags=", ""),
    failures: reports.reduce((n, r) => n + r.failures, 0),
    ...storm,
  };
  if (values.json) console.log(JSON.stringify(report));
  else console.table(report);
} finally {
  clearTimeout(deadline);
  await cleanup();
}
