/**
 * `deno task bench [--quick] [--json]`: raw TCP, Deno's TLS 1.3 and the
 * p2pchat channel, measured side by side in one run over loopback, with
 * p2pchat's figures as ratios to the other two.
 */
import { parseArgs } from "node:util";
import { Identity } from "../crypto/mod.ts";
import { percentile, round } from "./stats.ts";
import { firstLines } from "../harness/process_io.ts";
import {
  type BenchConn,
  dialBench,
  type ServerPorts,
  tlsFiles,
  type TransportName,
  TRANSPORTS,
} from "./transports.ts";

/** One transport's figures; names are the JSON keys. */
export type Measures = {
  connect_p50_ms: number;
  connect_p99_ms: number;
  rtt_p50_us: number;
  rtt_p99_us: number;
  msgs_per_s: number;
  bulk_mib_s: number;
};

const { values } = parseArgs({
  args: Deno.args,
  options: { quick: { type: "boolean" }, json: { type: "boolean" } },
});
const quick = values.quick === true;
const plan = quick
  ? { connects: 60, roundTrips: 2_000, seconds: 1 }
  : { connects: 400, roundTrips: 10_000, seconds: 5 };
const MESSAGE = 100;
const BULK = 64 * 1024;

const log = (text: string): void => {
  if (!values.json) console.error(text);
};

async function readExactly(conn: BenchConn, n: number): Promise<void> {
  for (let got = 0; got < n;) {
    const chunk = await conn.read();
    if (chunk === null) throw new Error("connection closed early");
    got += chunk.length;
  }
}

async function measureConnect(
  dial: (mode: "echo" | "sink") => Promise<BenchConn>,
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < plan.connects; i++) {
    const start = performance.now();
    const conn = await dial("echo");
    await conn.write(new Uint8Array([7]));
    await readExactly(conn, 1);
    samples.push(performance.now() - start);
    conn.close();
  }
  return samples;
}

async function measureRtt(dial: (mode: "echo" | "sink") => Promise<BenchConn>): Promise<number[]> {
  const conn = await dial("echo");
  const message = new Uint8Array(MESSAGE);
  for (let i = 0; i < 200; i++) {
    await conn.write(message);
    await readExactly(conn, MESSAGE);
  }
  const samples: number[] = [];
  for (let i = 0; i < plan.roundTrips; i++) {
    const start = performance.now();
    await conn.write(message);
    await readExactly(conn, MESSAGE);
    samples.push((performance.now() - start) * 1000);
  }
  conn.close();
  return samples;
}

/** Writes `size`-byte messages for the planned time; returns messages per second as the sink saw them. */
async function measureOneWay(
  dial: (mode: "echo" | "sink") => Promise<BenchConn>,
  size: number,
): Promise<number> {
  const conn = await dial("sink");
  const message = new Uint8Array(size);
  const last = new Uint8Array(size);
  last[size - 1] = 0x01;
  const start = performance.now();
  const until = start + plan.seconds * 1000;
  let count = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 64; i++) await conn.write(message);
    count += 64;
  }
  await conn.write(last);
  await readExactly(conn, 1);
  const seconds = (performance.now() - start) / 1000;
  conn.close();
  return (count + 1) / seconds;
}

async function measure(
  transport: TransportName,
  ports: ServerPorts,
  context: Parameters<typeof dialBench>[2],
): Promise<Measures> {
  const dial = (mode: "echo" | "sink"): Promise<BenchConn> =>
    dialBench(transport, ports[transport][mode], context);
  log(`${transport}: connect`);
  const connects = await measureConnect(dial);
  log(`${transport}: round trips`);
  const rtts = await measureRtt(dial);
  log(`${transport}: messages per second`);
  const msgs = await measureOneWay(dial, MESSAGE);
  log(`${transport}: bulk`);
  const bulk = await measureOneWay(dial, BULK);
  return {
    connect_p50_ms: round(percentile(connects, 50), 3),
    connect_p99_ms: round(percentile(connects, 99), 3),
    rtt_p50_us: round(percentile(rtts, 50), 1),
    rtt_p99_us: round(percentile(rtts, 99), 1),
    msgs_per_s: Math.round(msgs),
    bulk_mib_s: round((bulk * BULK) / (1024 * 1024), 1),
  };
}

function ratios(ours: Measures, base: Measures): Record<keyof Measures, number> {
  const out = {} as Record<keyof Measures, number>;
  for (const key of Object.keys(ours) as (keyof Measures)[]) {
    out[key] = round(ours[key] / base[key], 2);
  }
  return out;
}

const server = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-net=127.0.0.1",
    "--allow-read",
    new URL("./echo_server.ts", import.meta.url).pathname,
  ],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
try {
  const [first] = await firstLines(server.stdout, 1);
  if (!first) throw new Error("bench server exited");
  const ports = JSON.parse(first) as ServerPorts;
  const context = {
    caCert: (await tlsFiles()).ca,
    identity: Identity.generate(),
    fingerprint: ports.fingerprint,
  };
  const results = {} as Record<TransportName, Measures>;
  for (const transport of TRANSPORTS) results[transport] = await measure(transport, ports, context);
  const report = {
    transports: results,
    ratios_vs_tls: ratios(results.p2pchat, results.tls),
    ratios_vs_tcp: ratios(results.p2pchat, results.tcp),
    quick,
  };
  if (values.json) {
    console.log(JSON.stringify(report));
  } else {
    const rows: [string, keyof Measures][] = [
      ["connect p50 (ms)", "connect_p50_ms"],
      ["connect p99 (ms)", "connect_p99_ms"],
      ["round trip p50 (µs)", "rtt_p50_us"],
      ["round trip p99 (µs)", "rtt_p99_us"],
      ["messages/s (100 B)", "msgs_per_s"],
      ["bulk (MiB/s, 64 KiB)", "bulk_mib_s"],
    ];
    console.log(
      `p2pchat bench${
        quick ? " (--quick)" : ""
      }: loopback, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}`,
    );
    console.log(`| measure | tcp | tls | p2pchat | p2pchat/tls | p2pchat/tcp |`);
    console.log(`| --- | ---: | ---: | ---: | ---: | ---: |`);
    for (const [label, key] of rows) {
      console.log(
        `| ${label} | ${results.tcp[key]} | ${results.tls[key]} | ${results.p2pchat[key]} | ${
          report.ratios_vs_tls[key]
        } | ${report.ratios_vs_tcp[key]} |`,
      );
    }
  }
} finally {
  server.kill("SIGTERM");
  await server.status;
}
