/**
 * Churn for `deno task soak`: until DEADLINE (epoch ms), keeps up to LIVE
 * short-lived clients coming and going against the server, each doing one of:
 * join and leave politely, join and drop the socket, send garbage, connect
 * and never speak, register and go silent (no heartbeats).
 *
 * Usage: soak_worker.ts PORT FINGERPRINT DEADLINE LIVE SEED
 */
import { Identity, parseFingerprint } from "../crypto/mod.ts";
import { DirectoryClient } from "../client/directory/mod.ts";

const [port, fingerprint, deadline, live, seed] = Deno.args;
const expectedServer = parseFingerprint(fingerprint)!;
const until = Number(deadline);
let serial = Number(seed) * 1_000_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];
const counts: Record<string, number> = {};

async function churnOne(): Promise<void> {
  const kind = pick(["polite", "polite", "abrupt", "garbage", "mute", "silent"]);
  counts[kind] = (counts[kind] ?? 0) + 1;
  try {
    if (kind === "garbage" || kind === "mute") {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
      if (kind === "garbage") {
        await conn.write(
          crypto.getRandomValues(new Uint8Array(1 + Math.floor(Math.random() * 300))),
        );
      }
      await sleep(kind === "mute" ? 1000 + Math.random() * 4000 : 200);
      conn.close();
      return;
    }
    const client = await DirectoryClient.connect({ hostname: "127.0.0.1", port: Number(port) }, {
      identity: Identity.generate(),
      expectedServer,
      heartbeatMs: kind === "silent" ? 0 : 2000,
    });
    await client.register(`churn${serial++}`, 1);
    await sleep(500 + Math.random() * 4000);
    if (kind === "polite") await client.bye();
    else if (kind === "abrupt") client.abort();
    else await client.closed; // silent: the server drops it after its idle timeout
  } catch {
    // Refusals (rate limits, server busy) are part of the weather.
  }
}

await Promise.all(Array.from({ length: Number(live) }, async () => {
  while (Date.now() < until) await churnOne();
}));
console.log(JSON.stringify(counts));
