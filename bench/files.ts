/**
 * `deno task bench-files [--json] [--size MiB] [--runs N] [--binary] [--quick]`: a file sent
 * between two real `connect --json` processes over a direct loopback chat
 * (through a real `serve`), beside raw TCP, Deno's TLS and the channel's
 * own bulk figure measured in the same run (64 KiB writes for 3 s each, as
 * `deno task bench` does; the channel's just before each transfer), with
 * the ratio the issue sets (files at least 0.7x the channel's bulk). Also: the peak resident memory of the sender and
 * the receiver above their idle size (the goal: neither holds the file, at
 * most 64 MiB above idle for 256 MiB), and the round trip of chat messages
 * sent while the file moves (p50, p99: the goal is p99 under 100 ms).
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { Identity } from "../crypto/mod.ts";
import { type ClientProcess, type Event, startClient, startServe } from "../harness/mod.ts";
import { firstLines } from "../harness/process_io.ts";
import { cpuSeconds, rssKib } from "./proc.ts";
import { v8FlagsArgument } from "../server/mod.ts";
import { percentile, round } from "./stats.ts";
import {
  type BenchConn,
  dialBench,
  type ServerPorts,
  tlsFiles,
  type TransportName,
} from "./transports.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    json: { type: "boolean" },
    size: { type: "string", default: "256" },
    runs: { type: "string", default: "3" },
    /** Run the clients as the compiled binary does (`serve`'s V8 flags, server/v8_flags.ts). */
    binary: { type: "boolean" },
    /** Bulk figures over 1 s instead of 3 (tests/files_bench_test.ts). */
    quick: { type: "boolean" },
  },
});
const v8Flags = values.binary ? v8FlagsArgument() : undefined;
const MIB = 1024 * 1024;
const FILE_BYTES = Number(values.size) * MIB;
const RUNS = Number(values.runs);
const BULK = 64 * 1024;
const BULK_SECONDS = values.quick ? 1 : 3;
/** Chat messages sent during the transfer, one every this many ms, for their round trip. */
const CHAT_EVERY_MS = 20;

const log = (text: string): void => {
  if (!values.json) console.error(text);
};

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

/** MiB/s of 64 KiB writes over `transport` to a sink, for BULK_SECONDS. */
async function bulk(
  transport: TransportName,
  ports: ServerPorts,
  context: Parameters<typeof dialBench>[2],
  sink?: number,
): Promise<{ mibS: number; cpuPerMib: number }> {
  const conn: BenchConn = await dialBench(transport, ports[transport].sink, context);
  const cpu0 = cpuSeconds(Deno.pid) + (sink ? cpuSeconds(sink) : 0);
  const message = new Uint8Array(BULK);
  const last = new Uint8Array(BULK);
  last[BULK - 1] = 0x01;
  const start = performance.now();
  let count = 0;
  while (performance.now() < start + BULK_SECONDS * 1000) {
    for (let i = 0; i < 64; i++) await conn.write(message);
    count += 64;
  }
  await conn.write(last);
  for (let got = 0; got < 1;) {
    const chunk = await conn.read();
    if (chunk === null) throw new Error("the sink closed early");
    got += chunk.length;
  }
  const seconds = (performance.now() - start) / 1000;
  conn.close();
  const mib = ((count + 1) * BULK) / MIB;
  const cpu = cpuSeconds(Deno.pid) + (sink ? cpuSeconds(sink) : 0) - cpu0;
  return { mibS: round(mib / seconds, 1), cpuPerMib: (cpu * 1000) / mib };
}

/** Samples `pid`'s RSS every 50 ms until stopped; returns the peak in MiB. */
function sampleRss(pid: number): { stop(): number } {
  let peak = rssKib(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssKib(pid));
    } catch {
      // Exited: the peak so far stands.
    }
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return round(peak / 1024, 1);
    },
  };
}

/** A file of `bytes` random bytes in `dir`. */
async function randomFile(dir: string, bytes: number): Promise<string> {
  const path = join(dir, "bench.bin");
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const block = new Uint8Array(MIB);
  for (let done = 0; done < bytes; done += block.length) {
    for (let i = 0; i < block.length; i += 65536) {
      crypto.getRandomValues(block.subarray(i, i + 65536));
    }
    await file.write(block.subarray(0, Math.min(block.length, bytes - done)));
  }
  file.close();
  return path;
}

/**
 * One transfer: MiB/s from accept to the checked file, and peak RSS; with
 * `chatting`, chat messages go while it moves, and their round trips are
 * measured (a run of its own: the messages and the waits for them take CPU
 * from the transfer on a small machine).
 */
async function sendOnce(alice: ClientProcess, bob: ClientProcess, path: string, chatting = false) {
  const fromA = alice.events.length;
  const fromB = bob.events.length;
  const idle = { alice: rssKib(alice.process.pid) / 1024, bob: rssKib(bob.process.pid) / 1024 };
  const cpu = () => cpuSeconds(alice.process.pid) + cpuSeconds(bob.process.pid);
  const rss = { alice: sampleRss(alice.process.pid), bob: sampleRss(bob.process.pid) };
  const sentAt = performance.now();
  await alice.send(`/send bob ${path}`);
  const offer = await bob.waitFor(is("file-offer"), 120_000, fromB);
  const offeredAt = performance.now();
  const cpuAtAccept = cpu();
  await bob.send(`/accept-file ${offer.id}`);
  const acceptedAt = performance.now();
  // Chat messages while the file moves: each one's time from typing to its delivery report.
  const rtts: number[] = [];
  const chat = (async () => {
    for (let i = 0; chatting; i++) {
      const from = alice.events.length;
      const start = performance.now();
      await alice.send(`during the file ${i}`);
      const sent = await alice.waitFor(is("sent", { text: `during the file ${i}` }), 30_000, from);
      await alice.waitFor(is("delivered", { id: sent.id }), 30_000, from);
      rtts.push(performance.now() - start);
      await new Promise((r) => setTimeout(r, CHAT_EVERY_MS));
    }
  })();
  const received = await bob.waitFor(is("file-received", { id: offer.id }), 600_000, fromB);
  const receivedAt = performance.now();
  const cpuUsed = cpu() - cpuAtAccept;
  chatting = false;
  await chat;
  await alice.waitFor(is("file-sent", { id: offer.id }), 60_000, fromA);
  const peak = { alice: rss.alice.stop(), bob: rss.bob.stop() };
  await Deno.remove(String(received.path));
  return {
    mib_s: round(FILE_BYTES / MIB / ((receivedAt - acceptedAt) / 1000), 1),
    hash_s: round((offeredAt - sentAt) / 1000, 2),
    cpu_ms_per_mib: round((cpuUsed * 1000) / (FILE_BYTES / MIB), 2),
    chat_rtt_p50_ms: rtts.length ? round(percentile(rtts, 50), 1) : 0,
    chat_rtt_p99_ms: rtts.length ? round(percentile(rtts, 99), 1) : 0,
    chat_messages: rtts.length,
    sender_peak_above_idle_mib: round(peak.alice - idle.alice, 1),
    receiver_peak_above_idle_mib: round(peak.bob - idle.bob, 1),
  };
}

const echo = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-net=127.0.0.1",
    "--allow-read",
    new URL("./echo_server.ts", import.meta.url).pathname,
  ],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const work = await Deno.makeTempDir();
const server = await startServe();
let alice: ClientProcess | undefined;
let bob: ClientProcess | undefined;
try {
  const [first] = await firstLines(echo.stdout, 1);
  if (!first) throw new Error("bench server exited");
  const ports = JSON.parse(first) as ServerPorts;
  const context = {
    caCert: (await tlsFiles()).ca,
    identity: Identity.generate(),
    fingerprint: ports.fingerprint,
  };
  const bulkMib = {} as Record<TransportName, number>;
  for (const transport of ["tcp", "tls"] as const) {
    log(`${transport}: bulk`);
    bulkMib[transport] = (await bulk(transport, ports, context)).mibS;
  }
  log(`a ${FILE_BYTES / MIB} MiB file`);
  const path = await randomFile(work, FILE_BYTES);
  alice = await startClient("alice", server.port, { v8Flags });
  bob = await startClient("bob", server.port, {
    args: ["--auto-accept", "--downloads", join(work, "in")],
    v8Flags,
  });
  await Promise.all([alice.waitFor(is("ready")), bob.waitFor(is("ready"))]);
  await alice.send("/chat bob");
  await alice.waitFor(is("chat-open", { peer: "bob", path: "direct" }));
  // The channel's bulk and the file, one after the other in each run: the machine is shared,
  // and a ratio of two figures taken moments apart holds better than two medians.
  const runs: (Awaited<ReturnType<typeof sendOnce>> & {
    channel_mib_s: number;
    channel_cpu_ms_per_mib: number;
    channel_sink_peak_above_idle_mib: number;
  })[] = [];
  for (let i = 0; i < RUNS; i++) {
    log(`run ${i + 1} of ${RUNS}: the channel's bulk, then the file`);
    // The channel's own bulk, and what it alone costs its receiving end in memory.
    const idle = rssKib(echo.pid) / 1024;
    const sink = sampleRss(echo.pid);
    const channel = await bulk("p2pchat", ports, context, echo.pid);
    const sinkPeak = round(sink.stop() - idle, 1);
    runs.push({
      channel_mib_s: channel.mibS,
      channel_cpu_ms_per_mib: round(channel.cpuPerMib, 2),
      channel_sink_peak_above_idle_mib: sinkPeak,
      ...await sendOnce(alice, bob, path),
    });
  }
  log("one more, with chat messages while it moves");
  const chatRun = await sendOnce(alice, bob, path, true);
  const median = (values: number[]): number => percentile(values, 50);
  bulkMib.p2pchat = median(runs.map((r) => r.channel_mib_s));
  const files = median(runs.map((r) => r.mib_s));
  const report = {
    file_mib: FILE_BYTES / MIB,
    bulk_mib_s: bulkMib,
    file_mib_s: files,
    file_vs_channel_bulk: round(median(runs.map((r) => r.mib_s / r.channel_mib_s)), 2),
    file_vs_tls: round(files / bulkMib.tls, 2),
    // What the ratio would be where CPU is all that limits: the channel's CPU per MiB (both
    // ends) over the file's (both clients, every thread), in the same runs.
    cpu_ratio: round(median(runs.map((r) => r.channel_cpu_ms_per_mib / r.cpu_ms_per_mib)), 2),
    channel_vs_tls: round(bulkMib.p2pchat / bulkMib.tls, 2),
    hash_s: runs[0].hash_s,
    chat_rtt_p50_ms: chatRun.chat_rtt_p50_ms,
    chat_rtt_p99_ms: chatRun.chat_rtt_p99_ms,
    chat_messages: chatRun.chat_messages,
    file_mib_s_while_chatting: chatRun.mib_s,
    sender_peak_above_idle_mib: Math.max(...runs.map((r) => r.sender_peak_above_idle_mib)),
    receiver_peak_above_idle_mib: Math.max(...runs.map((r) => r.receiver_peak_above_idle_mib)),
    channel_sink_peak_above_idle_mib: Math.max(
      ...runs.map((r) => r.channel_sink_peak_above_idle_mib),
    ),
    runs: [...runs, chatRun],
  };
  if (values.json) console.log(JSON.stringify(report));
  else {
    console.log(
      `p2pchat bench-files: loopback, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}${
        v8Flags ? `, clients with ${v8Flags}` : ""
      }`,
    );
    console.log(`| measure | value |`);
    console.log(`| --- | ---: |`);
    for (
      const [label, value] of [
        ["raw TCP bulk (MiB/s)", bulkMib.tcp],
        ["Deno TLS bulk (MiB/s)", bulkMib.tls],
        ["channel bulk (MiB/s)", bulkMib.p2pchat],
        [`file of ${FILE_BYTES / MIB} MiB, accept to checked (MiB/s, median of ${RUNS})`, files],
        ["file / channel bulk (median of the runs' ratios)", report.file_vs_channel_bulk],
        ["channel / TLS", report.channel_vs_tls],
        ["CPU per MiB: channel / file (both ends, every thread)", report.cpu_ratio],
        ["hashing before the offer, first run (s)", report.hash_s],
        [
          `chat round trip during a transfer, p50 / p99 (ms, ${report.chat_messages} messages)`,
          `${report.chat_rtt_p50_ms} / ${report.chat_rtt_p99_ms}`,
        ],
        ["that transfer, with the chat (MiB/s)", report.file_mib_s_while_chatting],
        ["sender peak RSS above idle (MiB)", report.sender_peak_above_idle_mib],
        ["receiver peak RSS above idle (MiB)", report.receiver_peak_above_idle_mib],
        [
          "the channel's bulk alone: its receiving end's peak RSS above idle (MiB)",
          report.channel_sink_peak_above_idle_mib,
        ],
      ]
    ) console.log(`| ${label} | ${value} |`);
  }
} finally {
  await Promise.allSettled([alice?.kill(), bob?.kill()]);
  await server.stop();
  echo.kill("SIGTERM");
  await echo.status;
  await Deno.remove(work, { recursive: true }).catch(() => {});
  for (const c of [alice, bob]) {
    if (c) await Deno.remove(c.home, { recursive: true }).catch(() => {});
  }
}
