/**
 * `p2pchat audit` against a running directory, as cron would run it, on
 * both stores: exit 0 and a name's history with times while the log holds
 * up; only what was added since the last audit is read; a directory
 * rolled back to an older copy of its store is exit 1, named; an evidence
 * file a client saved is checked; usage errors are exit 2.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import {
  type ClientProcess,
  type Event,
  redisMissing,
  runCli,
  startClient,
  startRedis,
  startServe,
} from "../harness/mod.ts";
import { Buffer } from "node:buffer";
import { openRedis } from "../server/state/mod.ts";

const is = (type: string) => (e: Event): boolean => e.type === type;

async function registered(name: string, port: number, args: string[] = []): Promise<ClientProcess> {
  const client = await startClient(name, port, { args });
  await client.waitFor(is("ready"));
  return client;
}

const missing = redisMissing();

for (const store of ["sqlite", "redis"] as const) {
  const ignore = store === "redis" && missing !== undefined;
  Deno.test({
    name:
      `audit (${store}): consistent is exit 0 with a name's history; the next audit reads only what was added; a rollback is exit 1, named${
        ignore ? ` (skipped: ${missing})` : ""
      }`,
    ignore,
    async fn() {
      const data = await Deno.makeTempDir();
      const home = await Deno.makeTempDir();
      const redis = store === "redis" ? await startRedis() : undefined;
      const storeArgs = redis ? ["--store", redis.url, "--advertise", "127.0.0.1:1"] : [];
      let serve = await startServe({ data, args: storeArgs });
      const port = serve.port;
      const audit = (...more: string[]) =>
        runCli(["audit", "--server", `127.0.0.1:${port}`, "--home", home, ...more]);
      try {
        const alice = await registered("alice", port);
        const bob = await registered("bob", port);
        const bobFingerprint = (await bob.waitFor(is("ready"))).fingerprint as string;
        await Promise.all([alice.quit(), bob.quit()]);

        const first = await audit("--name", "bob");
        assertEquals(first.code, 0, first.stdout + first.stderr);
        assert(first.stdout.includes("Pinned its key"), first.stdout);
        assert(first.stdout.includes("Verified entries 0 to 1"), first.stdout);
        assert(
          /History of bob:\n .*bound to .*\(binding 1, entry 1\)/.test(first.stdout),
          first.stdout,
        );
        assert(first.stdout.includes(bobFingerprint.slice(0, 4)), first.stdout);
        assert(
          first.stdout.trimEnd().endsWith(
            "OK: the log is consistent with everything this data directory saw",
          ),
        );

        const again = await audit("--json");
        assertEquals(again.code, 0, again.stderr);
        const report = JSON.parse(again.stdout);
        assertEquals([report.type, report.consistent, report.verified], ["audit", true, {
          from: 2,
          to: 2,
        }]);
        assertEquals(report.checkpoint.size, 2);

        // A copy of the store as it is now, then the log grows, and the audit sees it grow.
        await serve.stop();
        const restore = await snapshot(store, data, redis);
        serve = await startServe({ data, args: [...storeArgs, "--port", String(port)] });
        await (await registered("carol", port)).quit();
        const grown = JSON.parse((await audit("--json", "--name", "carol")).stdout);
        assertEquals(grown.verified, { from: 2, to: 3 });
        assertEquals(grown.history.entries.map((e: { kind: string }) => e.kind), ["bind"]);

        // The directory goes back to the older copy: the audit that saw more says so.
        await serve.stop();
        await restore();
        serve = await startServe({ data, args: [...storeArgs, "--port", String(port)] });
        const rolled = await audit();
        assertEquals(rolled.code, 1, rolled.stdout);
        assert(rolled.stdout.includes("INCONSISTENT: directory-rollback"), rolled.stdout);
        const json = JSON.parse((await audit("--json")).stdout);
        assertEquals([json.consistent, json.problems[0].code], [false, "directory-rollback"]);

        // Its operator explains; --forget starts over from what the directory serves now.
        const forgot = await audit("--forget");
        assertEquals(forgot.code, 0, forgot.stdout);
        assert(forgot.stdout.includes("Forgot what this data directory kept"), forgot.stdout);
      } finally {
        await serve.stop();
        await redis?.close();
        await Deno.remove(data, { recursive: true });
        await Deno.remove(home, { recursive: true });
      }
    },
  });
}

/** A copy of the stopped directory's store; the function puts it back. */
async function snapshot(
  store: "sqlite" | "redis",
  data: string,
  redis: Awaited<ReturnType<typeof startRedis>> | undefined,
): Promise<() => Promise<void>> {
  if (store === "sqlite") {
    const copy = await Deno.readFile(join(data, "directory.sqlite"));
    return async () => {
      for (const suffix of ["-wal", "-shm"]) {
        await Deno.remove(join(data, `directory.sqlite${suffix}`)).catch(() => {});
      }
      await Deno.writeFile(join(data, "directory.sqlite"), copy);
    };
  }
  const client = await openRedis(redis!.url);
  const saved = new Map<string, Buffer>();
  for (const key of await client.keys("p2pchat:*")) {
    const dump = await client.dumpBuffer(key);
    if (dump) saved.set(key, dump);
  }
  client.disconnect();
  return async () => {
    const again = await openRedis(redis!.url);
    await again.flushall();
    for (const [key, dump] of saved) await again.restore(key, 0, dump, "REPLACE");
    again.disconnect();
  };
}

Deno.test("audit: usage errors are exit 2, naming the flag", async () => {
  for (
    const [args, says] of [
      [["audit"], "--server HOST[:PORT] is needed"],
      [["audit", "--server", "127.0.0.1", "--name", "b b"], "--name"],
      [["audit", "--server", "a,b"], "one instance"],
      [["audit", "--evidence", "x", "--forget"], "--forget needs --server"],
      [["audit", "--server", "127.0.0.1", "--server-key", "12"], "--server-key"],
    ] as const
  ) {
    const result = await runCli([...args]);
    assertEquals(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert(result.stderr.includes(says), result.stderr);
  }
});

Deno.test("audit: an evidence file a client saved is checked: two roots for one size are conclusive; a forged one is not usable", async () => {
  const { saveEvidence } = await import("../client/trust/mod.ts");
  const { Identity } = await import("../crypto/mod.ts");
  const { FakeLog } = await import("./fake_log.ts");
  const directory = Identity.generate();
  const [a, b] = [new FakeLog(directory), new FakeLog(directory)];
  a.ensure("bob", new Uint8Array(32).fill(1));
  b.ensure("bob", new Uint8Array(32).fill(2));
  const home = await Deno.makeTempDir();
  try {
    const server = { server: "127.0.0.1:7447", key: directory.public.key };
    const path = await saveEvidence(home, {
      kind: "directory-split-view",
      directory: server,
      kept: { checkpoint: a.checkpoint, from: "alice" },
      seen: { checkpoint: b.checkpoint, from: "bob" },
      answer: "the same size, another root",
    }, Date.now());
    const checked = await runCli(["audit", "--evidence", path, "--home", home]);
    assertEquals(checked.code, 1, checked.stdout + checked.stderr);
    assert(checked.stdout.includes("CONCLUSIVE: two different logs of one size"), checked.stdout);
    const forged = await saveEvidence(home, {
      kind: "directory-split-view",
      directory: { ...server, key: Identity.generate().public.key },
      kept: { checkpoint: a.checkpoint, from: "alice" },
      seen: { checkpoint: b.checkpoint, from: "bob" },
      answer: "",
    }, Date.now());
    const refused = await runCli(["audit", "--evidence", forged, "--home", home]);
    assertEquals(refused.code, 1);
    assert(refused.stdout.includes("Not usable: a checkpoint in it is not signed"), refused.stdout);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
