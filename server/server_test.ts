import { assert, assertEquals } from "../tests/assert.ts";
import { Identity } from "../crypto/mod.ts";
import { DirectoryClient } from "../directory/mod.ts";
import { Logger } from "./log.ts";
import { MemoryNameStore } from "./name_store.ts";
import { acceptFailureReason, DirectoryServer } from "./server.ts";

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

Deno.test("DirectoryServer closes connections past the bound on handshakes in progress, and recovers", async () => {
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
    idleTimeoutMs: 30_000,
    handshakeTimeoutMs: 5_000,
    relay: { enabled: false, maxSessions: 1, maxPerClient: 1, maxBytes: 1, tokenTtlMs: 1 },
    maxPendingHandshakes: 2,
  });
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
    assert(lines.some((l) => l.includes("reason=handshake-backlog")));
    assertEquals(server.metrics.rejections.get("handshake-backlog"), 1);
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
