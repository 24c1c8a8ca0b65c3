/**
 * `deno task soak [--seconds 180] [--live 400]`: a bounded soak. Two real
 * chat clients keep talking while churn processes make thousands of clients
 * join and leave (politely, abruptly, with garbage, mute, silent), and one
 * churn process is SIGKILLed and replaced every 20 s. At the end: did the two
 * chats lose any message, did the server's RSS come back to within 10% of
 * its level before the churn, and does /metrics match `list`?
 */
import { parseArgs } from "node:util";
import { Identity } from "../crypto/mod.ts";
import { DirectoryClient } from "../client/directory/mod.ts";
import { rssKib } from "./proc.ts";
import { startClient } from "../harness/client_process.ts";
import { killAll, scrape } from "../harness/process_io.ts";
import { startServe } from "../harness/serve_process.ts";
import { v8FlagsArgument } from "../server/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "180" },
    live: { type: "string", default: "400" },
  },
});
const SECONDS = Number(values.seconds);
const LIVE = Number(values.live);
const IDLE_S = 10;
const data = await Deno.makeTempDir({ prefix: "p2pchat-soak-" });
const processes: Deno.ChildProcess[] = [];
const say = (text: string): void =>
  console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${text}`);
const hardStop = setTimeout(() => {
  say("gave up: the soak overran its bound");
  Deno.exit(1);
}, (SECONDS + 240) * 1000);

const server = await startServe({
  data,
  v8Flags: v8FlagsArgument(),
  args: [
    "--metrics",
    "127.0.0.1:0",
    "--idle-timeout",
    `${IDLE_S}s`,
    "--max-per-address",
    "0",
    "--per-source-startups",
    "0",
    "--register-rate",
    "0",
  ],
});
processes.push(server.process);
const { port, fingerprint } = server;
const metrics = `${server.metricsUrl}/metrics`;
const alice = await startClient("alice", port, { args: ["--auto-accept"] });
const bob = await startClient("bob", port, { args: ["--auto-accept"] });
const result: Record<string, unknown> = {};
try {
  await alice.waitFor((e) => e.type === "ready");
  await bob.waitFor((e) => e.type === "ready");
  await alice.send("/chat bob");
  await alice.waitFor((e) => e.type === "chat-open");
  await bob.waitFor((e) => e.type === "chat-open");
  let sent = 0;
  const talking = setInterval(() => {
    const [from, to] = sent % 2 === 0 ? [alice, bob] : [bob, alice];
    from.send(`/msg ${to.name} soak message ${sent++}`);
  }, 50);
  const spawnChurn = (seed: number, until: number): Deno.ChildProcess => {
    const worker = new URL("./soak_worker.ts", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        worker,
        String(port),
        fingerprint,
        String(until),
        String(LIVE),
        String(seed),
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    processes.push(child);
    return child;
  };
  // Warm-up: a short churn first, so that "before" is a server whose code is
  // compiled and whose heap has found its working size. What the soak looks
  // for is growth that does not come back: a leak.
  const warmUp = Math.min(20, Math.ceil(SECONDS / 6));
  say(`warming up for ${warmUp} s`);
  await spawnChurn(0, Date.now() + warmUp * 1000).status;
  await new Promise((r) => setTimeout(r, (IDLE_S + 5) * 1000));
  const rssBefore = rssKib(server.process.pid);
  const heap = (): Promise<number> => scrape(metrics, "p2pchat_heap_used_bytes");
  const heapBefore = await heap();
  say(
    `server RSS before churn: ${rssBefore} KiB; churning for ${SECONDS} s with ${LIVE} live clients per process`,
  );
  const deadline = Date.now() + SECONDS * 1000;
  let seed = 1;
  const steady = spawnChurn(seed++, deadline);
  let victim = spawnChurn(seed++, deadline);
  let killed = 0;
  let peakRss = rssBefore;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5000));
    peakRss = Math.max(peakRss, rssKib(server.process.pid));
    if (
      (deadline - Date.now()) > 5000 &&
      Math.floor((Date.now() - (deadline - SECONDS * 1000)) / 20_000) > killed
    ) {
      victim.kill("SIGKILL");
      killed++;
      victim = spawnChurn(seed++, deadline);
    }
  }
  await Promise.allSettled([steady.status, victim.status]);
  clearInterval(talking);
  say(
    `churn over (${killed} churn processes killed); waiting ${
      IDLE_S + 5
    } s for silent clients to be dropped`,
  );
  await new Promise((r) => setTimeout(r, (IDLE_S + 5) * 1000));

  // Every message sent by one real client arrived at the other and was acknowledged.
  const sentBy = (c: typeof alice) =>
    c.events.filter((e) => e.type === "sent").map((e) => String(e.text));
  const gotBy = (c: typeof alice) =>
    new Set(c.events.filter((e) => e.type === "message").map((e) => String(e.text)));
  const lost = [
    ...sentBy(alice).filter((t) => !gotBy(bob).has(t)),
    ...sentBy(bob).filter((t) => !gotBy(alice).has(t)),
  ];
  const undelivered = [...alice.events, ...bob.events].filter((e) =>
    e.type === "undelivered" || e.type === "chat-closed"
  );

  const probe = await DirectoryClient.connect({ hostname: "127.0.0.1", port }, {
    identity: Identity.generate(),
    expectedServer: fingerprint,
    heartbeatMs: 0,
  });
  await probe.register("soakprobe", 1);
  let listed = 0;
  for (
    let page = { users: [] as { name: string }[], more: true }, after: string | undefined;
    page.more;
  ) {
    page = await probe.list({ limit: 200, after });
    listed += page.users.length;
    after = page.users.at(-1)?.name;
  }
  const online = await scrape(metrics, "p2pchat_users_online");
  await probe.bye();
  // RSS falls back as V8 and the allocator return pages after the churn; give it a bounded while.
  const settleStart = Date.now();
  let rssAfter = rssKib(server.process.pid);
  while (rssAfter > rssBefore * 1.1 && Date.now() - settleStart < 60_000) {
    await new Promise((r) => setTimeout(r, 2000));
    rssAfter = rssKib(server.process.pid);
  }
  const settleSeconds = Math.round((Date.now() - settleStart) / 1000);
  const heapAfter = await heap();
  Object.assign(result, {
    seconds: SECONDS,
    messages_sent: sentBy(alice).length + sentBy(bob).length,
    messages_lost: lost.length,
    chats_interrupted: undelivered.length,
    rss_before_kib: rssBefore,
    rss_peak_kib: peakRss,
    rss_after_kib: rssAfter,
    rss_within_10pct: rssAfter <= rssBefore * 1.1,
    rss_settle_s: settleSeconds,
    heap_before_mib: Math.round(heapBefore / 2 ** 20),
    heap_after_mib: Math.round(heapAfter / 2 ** 20),
    metrics_users_online: online,
    list_users: listed,
    metrics_match_list: online === listed,
    churn_processes_killed: killed,
  });
  console.log(JSON.stringify(result));
} finally {
  clearTimeout(hardStop);
  await Promise.allSettled([alice.kill(), bob.kill()]);
  await killAll(processes);
  await Deno.remove(data, { recursive: true }).catch(() => {});
  await Deno.remove(alice.home, { recursive: true }).catch(() => {});
  await Deno.remove(bob.home, { recursive: true }).catch(() => {});
}
Deno.exit(
  result.messages_lost === 0 && result.metrics_match_list && result.rss_within_10pct ? 0 : 1,
);
