/**
 * A directory over its capacity (docs/operations.md, "Overload"): newcomers
 * beyond what it can finish are told Busy before any key agreement, come back
 * when told, and all get in; those already online are never dropped for it.
 * Real `serve` and clients over real sockets.
 */
import { assert, assertEquals } from "./assert.ts";
import { DirectoryBusyError } from "../protocol/mod.ts";
import { DirectoryClient } from "../client/directory/mod.ts";
import { Identity } from "../crypto/mod.ts";
import { scrape, startClient, startServe } from "../harness/mod.ts";

Deno.test("overload: with room for one handshake at a time, a crowd of 40 is told Busy with a wait, comes back when told, and every one registers; nobody online is dropped", async () => {
  const server = await startServe({
    // One address for the whole crowd: the flood limits per source (tested elsewhere) are off.
    args: [
      "--max-handshakes",
      "1",
      "--register-rate",
      "0",
      "--per-source-startups",
      "0",
      "--metrics",
      "127.0.0.1:0",
    ],
  });
  const metrics = `${server.metricsUrl}/metrics`;
  const clients: DirectoryClient[] = [];
  try {
    // Someone already online, heartbeating every 500 ms through it all.
    const held = await DirectoryClient.connect({ hostname: "127.0.0.1", port: server.port }, {
      identity: Identity.generate(),
      expectedServer: server.fingerprint,
      heartbeatMs: 500,
    });
    await held.register("held", 1);
    let heldEnded = false;
    held.closed.then(() => heldEnded = true);
    const waits: number[] = [];
    await Promise.all(Array.from({ length: 40 }, async (_, i) => {
      const identity = Identity.generate();
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          const client = await DirectoryClient.connect(
            { hostname: "127.0.0.1", port: server.port },
            { identity, expectedServer: server.fingerprint, heartbeatMs: 0 },
          );
          clients.push(client);
          await client.register(`crowd${i}`, 1);
          return;
        } catch (error) {
          if (!(error instanceof DirectoryBusyError)) throw error;
          waits.push(error.retryAfterMs);
          await new Promise((r) => setTimeout(r, error.retryAfterMs));
        }
      }
      throw new Error(`crowd${i} never got in`);
    }));
    assert(waits.length > 0, "nobody was told Busy: the test did not overload the directory");
    assert(waits.every((ms) => ms >= 250 && ms <= 60_000), `waits ${waits.slice(0, 10)}`);
    assertEquals(await scrape(metrics, "p2pchat_users_online"), 41);
    assertEquals(await scrape(metrics, 'p2pchat_admission_total{result="busy"}'), waits.length);
    assert(await scrape(metrics, 'p2pchat_admission_total{result="admitted"}') >= 41);
    assert(!heldEnded, "the session already online was dropped");
    assertEquals(await scrape(metrics, "p2pchat_sessions_idle_total"), 0);
    console.log(`40 newcomers, one handshake at a time: ${waits.length} Busy answers`);
    await held.bye();
  } finally {
    await Promise.all(clients.map((c) => c.bye().catch(() => {})));
    await server.stop();
  }
});

Deno.test("overload: connect told Busy at start says so and gets in once it may, without waiting out a timeout", async () => {
  const server = await startServe({ args: ["--max-handshakes", "1", "--register-rate", "0"] });
  // Hold the one handshake slot with a connection that sends its first frame and nothing more.
  const hog = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const commit = new Uint8Array([0x01, 0, 0, 0, 34, 0, 1, ...new Uint8Array(32)]);
  await hog.write(commit);
  const alice = await startClient("alice", server.port);
  try {
    const started = performance.now();
    const told = (): boolean => alice.stderr.some((l) => l.includes("is busy"));
    for (let i = 0; i < 80 && !told(); i++) await new Promise((r) => setTimeout(r, 100));
    assert(told(), `never told Busy: ${alice.stderr.join("\n")}`);
    hog.close(); // The slot frees: alice's next try gets in.
    await alice.waitFor((e) => e.type === "ready", 15_000);
    const seconds = (performance.now() - started) / 1000;
    assert(
      alice.stderr.some((l) => /directory at .* is busy; trying again in \d+ s/.test(l)),
      alice.stderr.join("\n"),
    );
    assert(seconds < 10, `${seconds} s: it waited out a timeout`);
  } finally {
    await alice.kill();
    await server.stop();
  }
});
