/**
 * One process of `deno task load`: registers `COUNT` clients named
 * `loadSTART…` against the server, holds them online (heartbeating), and
 * prints one JSON line when all are registered. The parent kills it.
 *
 * Usage: load_worker.ts PORT FINGERPRINT START COUNT SPREAD
 */
import { Identity, parseFingerprint } from "../crypto/mod.ts";
import { DirectoryClient } from "../directory/mod.ts";

const [port, fingerprint, start, count, spread] = Deno.args;
const total = Number(count);
const first = Number(start);
const expectedServer = parseFingerprint(fingerprint)!;
// Every client has its own identity, generated before the clock starts.
const identities = Array.from({ length: total }, () => Identity.generate());
const IN_FLIGHT = 48;
const clients: DirectoryClient[] = [];
let next = 0;
let failures = 0;
const began = performance.now();

async function one(i: number): Promise<void> {
  // Spread connections over 127.0.0.1-127.0.0.N so no one address pair runs out of ports.
  const hostname = `127.0.0.${1 + ((first + i) % Number(spread))}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const client = await DirectoryClient.connect({ hostname, port: Number(port) }, {
        identity: identities[i],
        expectedServer,
        heartbeatMs: 10_000,
      });
      await client.register(`load${first + i}`, 40_000);
      clients.push(client);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
    }
  }
  failures++;
}

await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, total) }, async () => {
  while (next < total) await one(next++);
}));
console.log(
  JSON.stringify({ registered: clients.length, failures, ms: performance.now() - began }),
);
// Hold until killed; the timer keeps the process alive even if every socket is idle.
setInterval(() => {}, 60_000);
