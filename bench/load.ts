/**
 * `deno task load [--clients N] [--workers K] [--json]`: N clients register
 * over the real secure channel with a real `serve` process, stay online, and
 * the run measures registrations per second, lookup and list latency with N
 * online, the server's memory and CPU, and how long until /metrics shows no
 * users after every client drops at once. Bounded in time; it cleans up
 * every process and file it made.
 */
import { parseArgs } from "node:util";
import { Identity } from "../crypto/mod.ts";
import { DirectoryClient } from "../directory/mod.ts";
import { cpuSeconds, rssKib } from "./proc.ts";
import { percentile, round } from "./stats.ts";
import { firstLines, killAll, scrape } from "../harness/process_io.ts";
import { startServe } from "../harness/serve_process.ts";
import { v8FlagsArgument } from "../server/v8_flags.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    clients: { type: "string", default: "19500" },
    workers: { type: "string", default: "4" },
    json: { type: "boolean" },
    "idle-timeout": { type: "string", default: "30" },
  },
});
const N = Number(values.clients);
const K = Math.max(1, Math.min(Number(values.workers), N));
const IDLE_S = Number(values["idle-timeout"]);
/** The whole run gives up after this long. */
const DEADLINE_MS = 15 * 60_000;
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

try {
  const server = await startServe({
    data,
    host: "0.0.0.0",
    // As `deno task serve` runs it, unless LOAD_V8_FLAGS tries other settings.
    v8Flags: Deno.env.get("LOAD_V8_FLAGS")
      ? `--v8-flags=${Deno.env.get("LOAD_V8_FLAGS")}`
      : v8FlagsArgument(),
    args: [
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
  const { port, fingerprint } = server;
  const metrics = `${server.metricsUrl}/metrics`;
  await new Promise((r) => setTimeout(r, 500));
  const rssBefore = rssKib(server.process.pid);
  const heapBefore = await scrape(metrics, "p2pchat_heap_used_bytes");
  const externalBefore = await scrape(metrics, "p2pchat_external_memory_bytes");
  log(`server on port ${port}, RSS ${rssBefore} KiB; registering ${N} clients from ${K} processes`);

  const perWorker = Math.ceil(N / K);
  const cpuStart = cpuSeconds(server.process.pid);
  const started = performance.now();
  const reports = await Promise.all(Array.from({ length: K }, async (_, k) => {
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
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    children.push(worker);
    const [line] = await firstLines(worker.stdout, 1);
    return JSON.parse(line) as { registered: number; failures: number; ms: number };
  }));
  const registrationSeconds = (performance.now() - started) / 1000;
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

  const dropped = performance.now();
  for (const worker of children.slice(1)) {
    try {
      worker.kill("SIGKILL");
    } catch { /* exited */ }
  }
  let drain: number | null = null;
  while ((performance.now() - dropped) / 1000 < IDLE_S + 5) {
    if (await scrape(metrics, "p2pchat_users_online") === 0) {
      drain = (performance.now() - dropped) / 1000;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 2000));
  const rssAfterDrain = rssKib(server.process.pid);
  const report = {
    clients_online: online,
    registrations_per_s: Math.round(registered / registrationSeconds),
    lookup_p50_ms: round(percentile(lookups, 50), 3),
    lookup_p99_ms: round(percentile(lookups, 99), 3),
    list_p99_ms: round(percentile(lists, 99), 3),
    server_rss_mib: round(rssAtN / 1024, 1),
    rss_per_client_kib: round((rssAtN - rssBefore) / Math.max(1, online), 2),
    server_cpu_pct: round(cpuPct, 1),
    drain_s: drain === null ? null : round(drain, 2),
    registration_cpu_s: round(cpuHoldStart - cpuStart, 1),
    heap_per_client_kib: round((heapAtN - heapBefore) / 1024 / Math.max(1, online), 2),
    external_per_client_kib: round((externalAtN - externalBefore) / 1024 / Math.max(1, online), 2),
    rss_after_drain_mib: round(rssAfterDrain / 1024, 1),
    rss_before_mib: round(rssBefore / 1024, 1),
    failures: reports.reduce((n, r) => n + r.failures, 0),
  };
  if (values.json) console.log(JSON.stringify(report));
  else console.table(report);
} finally {
  clearTimeout(deadline);
  await cleanup();
}
