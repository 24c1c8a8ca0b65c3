/**
 * `deno task load [--clients N] [--workers K] [--instances I --store redis]
 * [--hold S] [--restart] [--json]`: N clients register over the real secure channel
 * with real `serve` processes, stay online, and the run measures
 * registrations per second, the servers' CPU per registration, lookup and
 * list latency with N online, the servers' memory, and how long until
 * /metrics shows no users after every client drops at once.
 *
 * With --instances I (which needs --store redis), the run starts its own
 * redis-server in a temporary directory and I instances over it sharing one
 * identity; client k registers with instance k mod I. It reports each
 * instance's RSS per user and Redis's own memory per user (INFO memory).
 *
 * With --restart, once all are online the server is killed with SIGKILL and
 * started again on the same port and data; the clients reconnect with the
 * backoff and jitter `connect` uses, and the run measures how long until all
 * N are online again, what was refused meanwhile, and the server's RSS after
 * the storm against before. Bounded in time; it cleans up every process and
 * file it made.
 */
import { parseArgs } from "node:util";
import { DEFAULT_HEARTBEAT_MS } from "../client/directory/mod.ts";
import { cpuSeconds, rssKib, systemCpuSeconds } from "./proc.ts";
import { percentile, round } from "./stats.ts";
import { join } from "node:path";
import {
  eachLine,
  killAll,
  type RedisProcess,
  scrape,
  type ServeProcess,
  startRedis,
  startServe,
  stopAll,
} from "../harness/mod.ts";
import { v8FlagsArgument } from "../server/mod.ts";
import {
  disconnects,
  latencies,
  redisMemory,
  stormProgress,
  sum,
  total,
  until,
} from "./load_metrics.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    clients: { type: "string", default: "19500" },
    workers: { type: "string", default: "4" },
    json: { type: "boolean" },
    restart: { type: "boolean" },
    "idle-timeout": { type: "string", default: "90" },
    hold: { type: "string", default: "5" },
    instances: { type: "string", default: "1" },
    store: { type: "string", default: "sqlite" },
  },
});
const INSTANCES = Number(values.instances);
if (!Number.isInteger(INSTANCES) || INSTANCES < 1 || !["sqlite", "redis"].includes(values.store)) {
  console.error("load: --instances must be 1 or more and --store sqlite or redis");
  Deno.exit(2);
}
if (INSTANCES > 1 && values.store !== "redis") {
  console.error("load: several instances share their state through Redis: add --store redis");
  Deno.exit(2);
}
const N = Number(values.clients);
const K = Math.max(1, Math.min(Number(values.workers), N));
const IDLE_S = Number(values["idle-timeout"]);
/** The whole run gives up after this long. */
const DEADLINE_MS = 20 * 60_000;
/** How long the storm may take before the run reports it as not settled. */
const STORM_LIMIT_MS = 5 * 60_000;
/** Progress, on stderr: --json keeps stdout for the report alone. */
const log = (text: string): void => console.error(text);

const data = await Deno.makeTempDir({ prefix: "p2pchat-load-" });
const children: Deno.ChildProcess[] = [];
let redis: RedisProcess | undefined;
const servers: ServeProcess[] = [];
const deadline = setTimeout(() => {
  console.error(`load: gave up after ${DEADLINE_MS / 60_000} minutes`);
  cleanup().finally(() => Deno.exit(1));
}, DEADLINE_MS);

async function cleanup(): Promise<void> {
  // A profiled instance writes its profile as it exits: stop those with SIGTERM first (bounded).
  if (Deno.env.get("LOAD_PROFILE")) await stopAll(servers.map((s) => s.process), 30_000);
  await killAll(children);
  await redis?.close();
  await Deno.remove(data, { recursive: true }).catch(() => {});
}

// Interrupted (Ctrl-C, or a supervisor's SIGTERM): the same cleanup as a finished run, so no
// process, Redis or data directory is left behind.
const onSignal = (): void => void cleanup().finally(() => Deno.exit(130));
const SIGNALS = ["SIGINT", "SIGTERM"] as const;
for (const signal of SIGNALS) Deno.addSignalListener(signal, onSignal);

/** A worker's latest status line. */
type Status = {
  online: number;
  reconnects: number;
  refused: Record<string, number>;
  lost: Record<string, number>;
  /** Held sessions the server ended, every reason together. */
  lostTotal: number;
  /** Busy answers the worker's clients were given (and honoured). */
  busy: number;
  lagMs: number;
};

/** Instance `i` as `deno task serve` runs it (unless LOAD_V8_FLAGS tries other settings). */
async function serve(i: number, port = 0): Promise<ServeProcess> {
  const shared = redis
    ? ["--store", redis.url, ...(i > 0 ? ["--identity", join(data, "0", "identity.key")] : [])]
    : [];
  const server = await startServe({
    data: join(data, String(i)),
    host: "0.0.0.0",
    // LOAD_PROFILE=DIR: each instance writes a CPU profile there when it stops (bench/profile_top.ts).
    denoFlags: Deno.env.get("LOAD_PROFILE")
      ? ["--cpu-prof", `--cpu-prof-dir=${Deno.env.get("LOAD_PROFILE")}`]
      : [],
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
      ...shared,
    ],
  });
  children.push(server.process);
  return server;
}

try {
  if (values.store === "redis") redis = await startRedis();
  for (let i = 0; i < INSTANCES; i++) servers.push(await serve(i));
  const ports = servers.map((s) => s.port);
  const { fingerprint } = servers[0];
  await new Promise((r) => setTimeout(r, 500));
  const pids = (): number[] => servers.map((s) => s.process.pid);
  const rssBefore = pids().map(rssKib);
  const redisBefore = redis ? await redisMemory(redis) : 0;
  const heapBefore = await total(servers, "p2pchat_heap_used_bytes");
  const externalBefore = await total(servers, "p2pchat_external_memory_bytes");
  log(
    `${INSTANCES} instance(s) on ports ${
      ports.join(", ")
    } (store ${values.store}); registering ${N} clients from ${K} processes`,
  );

  const perWorker = Math.ceil(N / K);
  const statuses: Status[] = [];
  let serverLags: number[] = [];
  const progress = setInterval(() => {
    Promise.all(
      servers.map((s) => scrape(`${s.metricsUrl}/metrics`, "p2pchat_event_loop_lag_seconds")),
    ).then((lags) => serverLags = lags, () => {});
    const online = statuses.reduce((n, s) => n + (s?.online ?? 0), 0);
    const reconnects = statuses.reduce((n, s) => n + (s?.reconnects ?? 0), 0);
    const refused = JSON.stringify(Object.assign({}, ...statuses.map((s) => s?.refused ?? {})));
    const lost = JSON.stringify(Object.assign({}, ...statuses.map((s) => s?.lost ?? {})));
    const lag = statuses.map((s) => s?.lagMs ?? 0).join("/");
    const serverLag = serverLags.join("/");
    log(
      `… ${online} online after ${
        ((performance.now() - started) / 1000).toFixed(0)
      } s (worker lag ${lag} ms, server lag ${serverLag} s; ${reconnects} reconnected: ${lost}; refused ${refused}; servers dropped ${
        JSON.stringify(disconnects(servers))
      })`,
    );
  }, 10_000);
  const workerPids: number[] = [];
  const readies: Promise<void>[] = [];
  const gos: (() => Promise<void>)[] = [];
  let cpuStart = 0;
  let systemStart = 0;
  let workerCpuStart = 0;
  let started = performance.now();
  const reports = Promise.all(Array.from({ length: K }, (_, k) => {
    const count = Math.max(0, Math.min(perWorker, N - k * perWorker));
    const worker = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./load_worker.ts", import.meta.url).pathname,
        ports.join(","),
        fingerprint,
        String(k * perWorker),
        String(count),
        "32",
        // As connect does (every 10 s), but often enough for a shortened idle timeout.
        String(Math.min(DEFAULT_HEARTBEAT_MS, (IDLE_S * 1000) / 3)),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    children.push(worker);
    workerPids.push(worker.pid);
    const first = Promise.withResolvers<{ registered: number; failures: number }>();
    const ready = Promise.withResolvers<void>();
    readies.push(ready.promise);
    gos.push(async () => {
      const writer = worker.stdin.getWriter();
      await writer.write(new TextEncoder().encode("go\n"));
      writer.releaseLock();
    });
    // Read every line, so a worker never blocks on a full pipe; keep the latest status.
    eachLine(worker.stdout, (line) => {
      const parsed = JSON.parse(line);
      if ("ready" in parsed) ready.resolve();
      else if ("registered" in parsed) first.resolve(parsed);
      else statuses[k] = parsed;
    }).catch(() => {});
    return first.promise;
  }));
  // Identities and first ephemeral keys made: the clocks (time, both sides' CPU) start now.
  await Promise.all(readies);
  cpuStart = sum(pids().map(cpuSeconds));
  systemStart = sum(pids().map(systemCpuSeconds));
  workerCpuStart = sum(workerPids.map(cpuSeconds));
  started = performance.now();
  await Promise.all(gos.map((go) => go()));
  log(`workers ready; registering`);
  const registeredReports = await reports;
  clearInterval(progress);
  const registrationSeconds = (performance.now() - started) / 1000;
  const registrationCpu = sum(pids().map(cpuSeconds)) - cpuStart;
  const registrationSystem = sum(pids().map(systemCpuSeconds)) - systemStart;
  // The load generator's own cost, beside the directory's: both share the two cores.
  const workerCpu = sum(workerPids.map(cpuSeconds)) - workerCpuStart;
  const registered = registeredReports.reduce((n, r) => n + r.registered, 0);
  const online = await total(servers, "p2pchat_users_online");
  log(
    `${registered} registered in ${
      registrationSeconds.toFixed(1)
    } s; ${online} online per /metrics`,
  );

  const { lookups, lists } = await latencies(
    { hostname: "127.0.0.1", port: ports[0] },
    fingerprint,
    registered,
  );

  // --hold S: all held S seconds, the CPU that costs measured, and who is still online after.
  const cpuHoldStart = sum(pids().map(cpuSeconds));
  await new Promise((r) => setTimeout(r, Number(values.hold) * 1000));
  const cpuPct = ((sum(pids().map(cpuSeconds)) - cpuHoldStart) / Number(values.hold)) * 100;
  const heldOnline = await total(servers, "p2pchat_users_online");
  const rssAtN = pids().map(rssKib);
  const redisAtN = redis ? await redisMemory(redis) : 0;
  const heapAtN = await total(servers, "p2pchat_heap_used_bytes");
  const externalAtN = await total(servers, "p2pchat_external_memory_bytes");
  const directoryOnline = await total(servers.slice(0, 1), "p2pchat_directory_users_online");
  log(`RSS at ${online}: ${rssAtN.join(", ")} KiB; CPU while holding: ${cpuPct.toFixed(1)}%`);

  let storm: Record<string, unknown> = {};
  /** Sessions the SIGKILL itself ended: each client online then lost its session once. */
  let onlineAtKill = 0;
  if (values.restart) {
    log(`restart: SIGKILL every instance with ${online} online, start them again on their ports`);
    await Promise.all(servers.map((s) => s.stop("SIGKILL")));
    const killed = performance.now();
    onlineAtKill = online;
    const refusedBefore = statuses.map((s) => ({ ...s?.refused }));
    for (let i = 0; i < INSTANCES; i++) servers[i] = await serve(i, ports[i]);
    log(`restart: listening again after ${((performance.now() - killed) / 1000).toFixed(1)} s`);
    const progress = stormProgress(servers, killed, log);
    const back = await until(
      async () => await total(servers, "p2pchat_users_online") >= online,
      STORM_LIMIT_MS,
    );
    clearInterval(progress);
    const backS = back === null ? null : (performance.now() - killed) / 1000;
    log(
      backS === null ? "restart: not all came back" : `restart: all back in ${backS.toFixed(1)} s`,
    );
    await new Promise((r) => setTimeout(r, 5000));
    const rssAfterStorm = sum(pids().map(rssKib));
    // What was refused during the storm, by reason (name-taken and the like would be bugs);
    // attempts made while the directory was down (unreachable) are counted apart.
    const refused: Record<string, number> = {};
    let unreachable = 0;
    statuses.forEach((s, k) => {
      for (const [code, n] of Object.entries(s?.refused ?? {})) {
        const delta = n - ((refusedBefore[k] as Record<string, number>)?.[code] ?? 0);
        if (delta <= 0) continue;
        if (code === "unreachable") unreachable += delta;
        else refused[code] = (refused[code] ?? 0) + delta;
      }
    });
    storm = {
      restart_all_back_s: backS === null ? null : round(backS, 2),
      // Registrations per second while the crowd came back, against the cold-start rate.
      restart_goodput_per_s: backS === null ? null : Math.round(online / backS),
      restart_bound_s: round((1.3 * online) / (registered / registrationSeconds) + 10, 1),
      restart_online_after: await total(servers, "p2pchat_users_online"),
      restart_refused: refused,
      restart_unreachable: unreachable,
      restart_rss_after_mib: round(rssAfterStorm / 1024, 1),
      restart_rss_change_pct: round(((rssAfterStorm - sum(rssAtN)) / sum(rssAtN)) * 100, 1),
    };
  }

  // Sessions of clients that kept heartbeating but were ended by the directory anyway.
  const heldLost = sum(statuses.map((s) => s?.lostTotal ?? 0)) - onlineAtKill;
  const busyAnswers = sum(statuses.map((s) => s?.busy ?? 0));
  for (const worker of children) {
    if (servers.some((s) => s.process === worker)) continue;
    try {
      worker.kill("SIGKILL");
    } catch { /* exited */ }
  }
  const drain = await until(
    async () =>
      await total(servers, "p2pchat_users_online") === 0 &&
      await scrape(`${servers[0].metricsUrl}/metrics`, "p2pchat_directory_users_online") === 0,
    (IDLE_S + 5) * 1000,
  );
  await new Promise((r) => setTimeout(r, 2000));
  const rssAfterDrain = sum(pids().map(rssKib));
  const perUser = (after: number, before: number, users: number): number =>
    round((after - before) / Math.max(1, users), 2);
  const report = {
    clients_online: online,
    registrations_per_s: Math.round(registered / registrationSeconds),
    registration_cpu_s: round(registrationCpu, 1),
    cpu_ms_per_registration: round((registrationCpu * 1000) / Math.max(1, registered), 2),
    // Of that, the kernel's (TCP over loopback, the SQLite file, memory): no code of ours runs there.
    system_cpu_ms_per_registration: round((registrationSystem * 1000) / Math.max(1, registered), 2),
    load_cpu_ms_per_registration: round((workerCpu * 1000) / Math.max(1, registered), 2),
    held_lost: heldLost,
    [`online_after_${values.hold}_s`]: heldOnline,
    // Failed attempts by code (summed over workers), Busy answers apart.
    refused: Object.fromEntries(
      [...new Set(statuses.flatMap((s) => Object.keys(s?.refused ?? {})))].map((code) => [
        code,
        sum(statuses.map((s) => s?.refused?.[code] ?? 0)),
      ]),
    ),
    busy_answers: busyAnswers,
    lookup_p50_ms: round(percentile(lookups, 50), 3),
    lookup_p99_ms: round(percentile(lookups, 99), 3),
    list_p50_ms: round(percentile(lists, 50), 3),
    list_p99_ms: round(percentile(lists, 99), 3),
    server_rss_mib: round(sum(rssAtN) / 1024, 1),
    rss_per_client_kib: perUser(sum(rssAtN), sum(rssBefore), online),
    server_cpu_pct: round(cpuPct, 1),
    drain_s: drain === null ? null : round(drain, 2),
    heap_per_client_kib: round((heapAtN - heapBefore) / 1024 / Math.max(1, online), 2),
    external_per_client_kib: round((externalAtN - externalBefore) / 1024 / Math.max(1, online), 2),
    rss_after_drain_mib: round(rssAfterDrain / 1024, 1),
    rss_before_mib: round(sum(rssBefore) / 1024, 1),
    instances: INSTANCES,
    store: values.store,
    directory_users_online: directoryOnline,
    // Each instance holds about online / INSTANCES users (client k goes to instance k mod I).
    instance_rss_mib: rssAtN.map((kib) => round(kib / 1024, 1)),
    instance_rss_per_client_kib: rssAtN.map((kib, i) =>
      perUser(kib, rssBefore[i], Math.ceil((online - i) / INSTANCES))
    ),
    ...(redis
      ? {
        redis_used_memory_mib: round(redisAtN / 1024 ** 2, 1),
        redis_bytes_per_user: Math.round((redisAtN - redisBefore) / Math.max(1, online)),
      }
      : {}),
    v8_flags: Deno.env.get("LOAD_V8_FLAGS") ?? v8FlagsArgument().replace("--v8-flags=", ""),
    failures: registeredReports.reduce((n, r) => n + r.failures, 0),
    ...storm,
  };
  if (values.json) console.log(JSON.stringify(report));
  else console.table(report);
} finally {
  clearTimeout(deadline);
  for (const signal of SIGNALS) Deno.removeSignalListener(signal, onSignal);
  await cleanup();
}
