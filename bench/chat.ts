/**
 * `deno task bench-chat [--json]`: two real `connect --json` clients on
 * loopback, through a real `serve`: the message round trip (send to the
 * delivery acknowledgement, p50 and p99 over 300 messages) and the messages
 * per second delivered and acknowledged (10,000 in batches of 500, within
 * the 1,000-unacknowledged bound).
 */
import { parseArgs } from "node:util";
import { startClient } from "../harness/client_process.ts";
import { startServe } from "../harness/serve_process.ts";
import { percentile, round } from "./stats.ts";

const { values } = parseArgs({ args: Deno.args, options: { json: { type: "boolean" } } });
const ROUND_TRIPS = 300;
const MESSAGES = 10_000;
const BATCH = 500;

const server = await startServe();
const alice = await startClient("alice", server.port);
const bob = await startClient("bob", server.port, { args: ["--auto-accept"] });
try {
  await alice.waitFor((e) => e.type === "ready");
  await bob.waitFor((e) => e.type === "ready");
  await alice.send("/chat bob");
  await alice.waitFor((e) => e.type === "chat-open");
  const rtts: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const from = alice.events.length;
    const started = performance.now();
    await alice.send(`round trip ${i}`);
    const sent = await alice.waitFor((e) => e.type === "sent", 5000, from);
    await alice.waitFor((e) => e.type === "delivered" && e.id === sent.id, 5000, from);
    rtts.push(performance.now() - started);
  }
  const started = performance.now();
  let last = ROUND_TRIPS;
  for (let b = 0; b < MESSAGES / BATCH; b++) {
    const from = alice.events.length;
    const lines = Array.from({ length: BATCH }, (_, i) => `bulk ${b * BATCH + i}`);
    await alice.send(lines.join("\n"));
    last += BATCH;
    await alice.waitFor((e) => e.type === "delivered" && e.id === `m${last}`, 60_000, from);
  }
  const report = {
    rtt_p50_ms: round(percentile(rtts, 50), 2),
    rtt_p99_ms: round(percentile(rtts, 99), 2),
    delivered_msgs_per_s: Math.round(MESSAGES / ((performance.now() - started) / 1000)),
    errors: alice.events.filter((e) => e.type === "error").length,
  };
  console.log(values.json ? JSON.stringify(report) : report);
} finally {
  await Promise.allSettled([alice.kill(), bob.kill()]);
  await server.stop();
  await Deno.remove(alice.home, { recursive: true }).catch(() => {});
  await Deno.remove(bob.home, { recursive: true }).catch(() => {});
}
