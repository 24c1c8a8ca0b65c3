import { assert, assertEquals } from "../tests/assert.ts";
import { Identity } from "../crypto/mod.ts";
import { DirectoryClient } from "../client/directory/mod.ts";
import { DirectoryBusyError } from "../protocol/mod.ts";
import { Logger } from "./ops/mod.ts";
import { MemoryNameStore } from "./state/mod.ts";
import type { StartupLimits } from "../admission/mod.ts";
import { DirectoryServer } from "./server.ts";
import { acceptFailureReason } from "./descriptors.ts";

async function closedQuickly(conn: Deno.Conn, ms: number): Promise<boolean> {
  const timer = setTimeout(() => conn.close(), ms);
  try {
    return await conn.read(new Uint8Array(16)) === null;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** A server on loopback with these handshake limits, logging into `lines`. */
function startWith(
  startups: StartupLimits,
  random?: () => number,
  idleTimeoutMs = 30_000,
): { server: DirectoryServer; lines: string[] } {
  const lines: string[] = [];
  const server = DirectoryServer.start({
    hostname: "127.0.0.1",
    port: 0,
    identity: Identity.generate(),
    store: new MemoryNameStore(),
    log: new Logger("text", { write: (line) => lines.push(line) }),
    maxClients: 100,
    maxPerAddress: 0,
    registerRate: 0,
    nameTtlMs: 3_600_000,
    idleTimeoutMs,
    handshakeTimeoutMs: 5_000,
    maxHandshakes: 1024,
    relay: { enabled: false, maxSessions: 1, maxPerClient: 1, maxBytes: 1, tokenTtlMs: 1 },
    startups,
    random,
  });
  return { server, lines };
}

Deno.test("DirectoryServer closes connections past the per-source bound on handshakes at once, and recovers", async () => {
  const { server, lines } = startWith({ start: 100, rate: 30, full: 200, perSource: 2 });
  const port = server.addr.port;
  try {
    const silent = [
      await Deno.connect({ hostname: "127.0.0.1", port }),
      await Deno.connect({ hostname: "127.0.0.1", port }),
    ];
    await new Promise((r) => setTimeout(r, 100));
    const third = await Deno.connect({ hostname: "127.0.0.1", port });
    assert(
      await closedQuickly(third, 2_000),
      "the third is closed at once, not after the handshake timeout",
    );
    assert(lines.some((l) => l.includes("reason=per-source-startups")));
    assertEquals(server.metrics.rejections.get("per-source-startups"), 1);
    silent.forEach((c) => c.close());
    await new Promise((r) => setTimeout(r, 100));
    const client = await DirectoryClient.connect({ hostname: "127.0.0.1", port }, {
      identity: Identity.generate(),
      heartbeatMs: 0,
    });
    await client.register("after", 1);
    await client.bye();
  } finally {
    await server.shutdown();
  }
});

Deno.test("acceptFailureReason() counts only descriptor exhaustion as out-of-descriptors", () => {
  assertEquals(
    acceptFailureReason(new Error("Too many open files (os error 24)")),
    "out-of-descriptors",
  );
  assertEquals(acceptFailureReason(new Error("ENFILE: file table overflow")), "out-of-descriptors");
  assertEquals(acceptFailureReason(new Deno.errors.ConnectionAborted("aborted")), "accept-error");
  assertEquals(acceptFailureReason("weird"), "accept-error");
});

/** What a real client that connects to `port` is told: Busy (with the wait) or let in. */
async function busyWait(port: number): Promise<number | "admitted"> {
  try {
    const client = await DirectoryClient.connect({ hostname: "127.0.0.1", port }, {
      identity: Identity.generate(),
      heartbeatMs: 0,
    });
    client.abort();
    return "admitted";
  } catch (error) {
    if (error instanceof DirectoryBusyError) return error.retryAfterMs;
    throw error;
  }
}

Deno.test("DirectoryServer turns new handshakes away at random past START and all at FULL, a full one told Busy with a slot, and counts each", async () => {
  let roll = 0.5;
  const { server, lines } = startWith({ start: 1, rate: 50, full: 2, perSource: 0 }, () => roll);
  const port = server.addr.port;
  const open: Deno.Conn[] = [];
  try {
    open.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    await new Promise((r) => setTimeout(r, 50));
    roll = 0.4; // below the 50% chance at START: turned away, told when to come back
    const dropped = await Deno.connect({ hostname: "127.0.0.1", port });
    assert(await closedQuickly(dropped, 2_000), "a random early drop is closed at once");
    roll = 0.9; // above it: admitted
    open.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    await new Promise((r) => setTimeout(r, 50));
    const full = await busyWait(port);
    assert(typeof full === "number" && full >= 250, `told ${full}`);
    assertEquals(server.metrics.rejections.get("startups-dropped"), 1);
    assertEquals(server.metrics.rejections.get("startups-full"), 1);
    assertEquals(server.metrics.admissions.busy, 1);
    assertEquals(server.metrics.admissions.refused, 1);
    assert(lines.some((l) => l.includes("busy") && l.includes("reason=startups-full")));
  } finally {
    open.forEach((c) => c.close());
    await server.shutdown();
  }
});

Deno.test("DirectoryServer ends a registered session that sends nothing for --idle-timeout, and counts it as idle; one that heartbeats stays", async () => {
  const { server, lines } = startWith(
    { start: 100, rate: 30, full: 200, perSource: 0 },
    undefined,
    400,
  );
  const port = server.addr.port;
  try {
    const connect = (heartbeatMs: number) =>
      DirectoryClient.connect({ hostname: "127.0.0.1", port }, {
        identity: Identity.generate(),
        heartbeatMs,
      });
    const silent = await connect(0);
    const alive = await connect(100);
    await silent.register("silent", 1);
    await alive.register("alive", 1);
    const ended = await silent.closed;
    assertEquals(ended.reason, "lost", "cut without a notice: it is not listening anyway");
    await new Promise((r) => setTimeout(r, 600));
    assertEquals(server.metrics.idleEndedTotal, 1);
    assertEquals(server.metrics.rejections.get("idle"), 1);
    assert(lines.some((l) => l.includes("disconnect") && l.includes("how=idle")));
    await alive.lookup("alive");
    await alive.bye();
  } finally {
    await server.shutdown();
  }
});

Deno.test("DirectoryServer lets at most 512 newcomers told Busy linger at once; the rest are closed right after their Busy, and each lingers at most a second", async () => {
  const { server } = startWith({ start: 1, rate: 0, full: 1, perSource: 0 });
  const port = server.addr.port;
  const conns: Deno.Conn[] = [];
  try {
    conns.push(await Deno.connect({ hostname: "127.0.0.1", port })); // holds the one slot
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 600; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    const started = performance.now();
    // Each reads its Busy frame (10 bytes) and then waits for the server to close.
    const closedAfter = await Promise.all(
      conns.slice(1).map(async (conn) => {
        const buffer = new Uint8Array(64);
        while (await conn.read(buffer).catch(() => null) !== null) { /* Busy, then end */ }
        return performance.now() - started;
      }),
    );
    const quick = closedAfter.filter((ms) => ms < 500).length;
    assert(quick >= 600 - 512, `closed at once: ${quick}`);
    assert(Math.max(...closedAfter) < 2_500, `the longest linger: ${Math.max(...closedAfter)} ms`);
    assertEquals(server.metrics.admissions.busy, 600);
  } finally {
    conns.forEach((c) => c.close());
    await server.shutdown();
  }
});
