/**
 * One process of `deno task load`: registers `COUNT` clients named
 * `loadSTART…` against the server and holds them online (heartbeating).
 * A client whose directory goes away reconnects and registers again, with
 * the backoff and jitter `connect` uses, for as long as the process lives.
 * Prepares its clients' identities and first ephemeral keys, prints
 * `{"ready":true}` and waits for a line on stdin before it connects, so that
 * the parent's clock counts the directory's work only. Prints a status line
 * every second, and one JSON line when all are first registered. The parent
 * kills it.
 *
 * Usage: load_worker.ts PORTS FINGERPRINT START COUNT SPREAD HEARTBEAT_MS
 * (PORTS: one per instance, comma-separated; client k uses instance k mod their number)
 */
import { delay } from "../async/mod.ts";
import { EphemeralKey, Identity, parseFingerprint, UnrevealedEphemeral } from "../crypto/mod.ts";
import { CodedError } from "../errors/mod.ts";
import { DirectoryBusyError } from "../protocol/mod.ts";
import {
  backoffMs,
  busyDelayMs,
  DirectoryClient,
  firstReconnectMs,
} from "../client/directory/mod.ts";

const [portList, fingerprint, start, count, spread, heartbeat] = Deno.args;
const ports = portList.split(",").map(Number);
const total = Number(count);
const first = Number(start);
const expectedServer = parseFingerprint(fingerprint)!;
// Every client has its own identity, generated before the clock starts.
const identities = Array.from({ length: total }, () => Identity.generate());
/** Clients connecting at once at the start (reconnections are spread by their backoff instead). */
const IN_FLIGHT = 48;
let online = 0;
let reconnects = 0;
let failures = 0;
const refused: Record<string, number> = {};
/** Why held connections ended, with counts. */
const lost: Record<string, number> = {};
const began = performance.now();

/**
 * Per client: a key a busy server never answered, kept for its next attempt, as connect does.
 * Each starts with one made before the clock starts: key generation is the client's own work,
 * not the directory's, and the load generator shares the directory's two cores.
 */
const unrevealed = identities.map(() => {
  const pool = new UnrevealedEphemeral();
  pool.keep(EphemeralKey.generate());
  return pool;
});
/** Held sessions the server ended, all reasons together (the parent subtracts its own kill). */
let lostTotal = 0;
/** Busy answers, and how long they asked to wait in all (ms). */
let busy = 0;

/** Connects and registers client `i`, retrying with backoff; resolves once registered. */
async function register(i: number, attempts = Infinity): Promise<DirectoryClient | undefined> {
  // Spread connections over 127.0.0.1-127.0.0.N so no one address pair runs out of ports.
  const hostname = `127.0.0.${1 + ((first + i) % Number(spread))}`;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const port = ports[(first + i) % ports.length];
      const client = await DirectoryClient.connect({ hostname, port }, {
        identity: identities[i],
        expectedServer,
        heartbeatMs: Number(heartbeat),
        unrevealed: unrevealed[i],
      });
      try {
        await client.register(`load${first + i}`, 40_000);
      } catch (error) {
        client.abort();
        throw error;
      }
      return client;
    } catch (error) {
      if (error instanceof DirectoryBusyError) {
        // Told to come back later: when told, as connect does, not by the doubling.
        busy++;
        attempt--;
        await delay(busyDelayMs(error.retryAfterMs));
        continue;
      }
      // Every other failure by its code (a refusal, a lost or timed-out connection).
      const code = error instanceof CodedError ? error.code : "other";
      refused[code] = (refused[code] ?? 0) + 1;
      await delay(backoffMs(attempt));
    }
  }
  return undefined;
}

/** Keeps client `i` online: after each loss, registers again. */
async function hold(i: number, client: DirectoryClient): Promise<void> {
  while (true) {
    online++;
    const ended = await client.closed;
    online--;
    const why = `${ended.reason}: ${ended.message.slice(0, 60)}`;
    lost[why] = (lost[why] ?? 0) + 1;
    lostTotal++;
    reconnects++;
    await delay(firstReconnectMs());
    client = (await register(i))!;
  }
}

/** The longest a status tick came late: how starved this process's event loop was. */
let lagMs = 0;
let tick = performance.now();
setInterval(() => {
  const now = performance.now();
  lagMs = Math.max(lagMs, now - tick - 1000);
  tick = now;
  console.log(
    JSON.stringify({
      online,
      reconnects,
      refused,
      lost,
      lostTotal,
      busy,
      lagMs: Math.round(lagMs),
    }),
  );
}, 1000);
// Everything prepared: say so, and start when the parent says go (its clock starts then).
console.log(JSON.stringify({ ready: true }));
await Deno.stdin.readable.getReader().read();
let next = 0;
await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, total) }, async () => {
  while (next < total) {
    const i = next++;
    const client = await register(i, 3);
    if (client) hold(i, client);
    else failures++;
  }
}));
console.log(JSON.stringify({ registered: online, failures, ms: performance.now() - began }));
