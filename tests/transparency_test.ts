/**
 * Key transparency end to end (docs/protocol.md §15), real `serve` and
 * `connect` processes on both stores (SQLite, and a real redis-server):
 * every key a client takes is proven against the directory's signed log;
 * a binding changed in the store by hand is refused; a directory rolled
 * back to an older copy of its store is caught by a client that saw more,
 * with the evidence saved; a name that another key held while its owner
 * was away is reported to the owner at its next registration.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import {
  type ClientProcess,
  type Event,
  redisMissing,
  type RedisProcess,
  type ServeProcess,
  startClient,
  startRedis,
  startServe,
} from "../harness/mod.ts";
import { DatabaseSync } from "node:sqlite";
import { Buffer } from "node:buffer";
import { toBase64 } from "../crypto/mod.ts";
import { IDENTITY_FILE, loadOrCreateIdentity } from "../storage/mod.ts";
import { openRedis } from "../server/state/mod.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

/** One directory on one store, which the test can restart, tamper with and roll back. */
type Directory = {
  readonly serve: ServeProcess;
  readonly data: string;
  /** Stops and starts `serve` again on the same port and store. */
  restart(): Promise<void>;
  /** Binds `name` to the raw `key` in the store by hand, outside the log. */
  tamper(name: string, key: Uint8Array): Promise<void>;
  /** A copy of the store as it is now, to restore later (serve stopped meanwhile). */
  snapshot(): Promise<() => Promise<void>>;
};

const stores = ["sqlite", "redis"] as const;
const missing = redisMissing();

async function withDirectory(
  store: typeof stores[number],
  args: string[],
  fn: (d: Directory) => Promise<void>,
): Promise<void> {
  const data = await Deno.makeTempDir();
  const redis: RedisProcess | undefined = store === "redis" ? await startRedis() : undefined;
  const storeArgs = redis ? ["--store", redis.url, "--advertise", "127.0.0.1:1"] : [];
  let serve = await startServe({ data, args: [...storeArgs, ...args] });
  const port = serve.port;
  const directory: Directory = {
    get serve() {
      return serve;
    },
    data,
    async restart() {
      await serve.stop();
      serve = await startServe({ data, args: [...storeArgs, ...args, "--port", String(port)] });
    },
    async tamper(name, key) {
      if (redis) return void await redis.cli("HSET", `p2pchat:b:${name}`, "k", toBase64(key));
      const db = new DatabaseSync(join(data, "directory.sqlite"));
      db.prepare("UPDATE bindings SET public_key = ? WHERE key = ?").run(key, name);
      db.close();
    },
    async snapshot() {
      if (!redis) {
        await serve.stop();
        const copy = await Deno.readFile(join(data, "directory.sqlite"));
        await directory.restart();
        return async () => {
          await serve.stop();
          for (const suffix of ["-wal", "-shm"]) {
            await Deno.remove(join(data, `directory.sqlite${suffix}`)).catch(() => {});
          }
          await Deno.writeFile(join(data, "directory.sqlite"), copy);
        };
      }
      const client = await openRedis(redis.url);
      const saved = new Map<string, Buffer>();
      for (const key of await client.keys("p2pchat:*")) {
        const dump = await client.dumpBuffer(key);
        if (dump) saved.set(key, dump);
      }
      client.disconnect();
      return async () => {
        await serve.stop();
        const again = await openRedis(redis.url);
        await again.flushall();
        for (const [key, dump] of saved) await again.restore(key, 0, dump, "REPLACE");
        again.disconnect();
      };
    },
  };
  try {
    await fn(directory);
  } finally {
    await serve.stop();
    await redis?.close();
    await Deno.remove(data, { recursive: true }).catch(() => {});
  }
}

async function ready(client: ClientProcess): Promise<ClientProcess> {
  await client.waitFor(is("ready"));
  return client;
}

const warnings = (c: ClientProcess, from = 0): Event[] =>
  c.events.slice(from).filter(is("security-warning"));

for (const store of stores) {
  const ignore = store === "redis" && missing !== undefined;
  const suffix = ignore ? ` (skipped: ${missing})` : "";

  Deno.test({
    name:
      `transparency (${store}): every key is proven, checkpoints are kept 0600, and peers gossip them without a word${suffix}`,
    ignore,
    fn: () =>
      withDirectory(store, [], async (d) => {
        const alice = await ready(await startClient("alice", d.serve.port));
        const bob = await ready(
          await startClient("bob", d.serve.port, { args: ["--auto-accept"] }),
        );
        try {
          await alice.send("/list");
          const users = await alice.waitFor(is("users"));
          assertEquals((users.users as { name: string }[]).map((u) => u.name), ["alice", "bob"]);
          await alice.send("/chat bob");
          await alice.waitFor(is("chat-open", { peer: "bob" }));
          await bob.waitFor(is("chat-open", { peer: "alice" }));
          await alice.send("hello");
          await bob.waitFor(is("message", { text: "hello" }));
          assertEquals([...warnings(alice), ...warnings(bob)], []);
          for (const c of [alice, bob]) {
            const path = join(c.home, "checkpoints");
            assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
            const kept = JSON.parse(await Deno.readTextFile(path))[d.serve.fingerprint];
            assert(kept?.checkpoint, `${c.name} kept a checkpoint`);
            assertEquals(kept.names[c.name], 1);
          }
        } finally {
          await Promise.all([alice.kill(), bob.kill()]);
        }
      }),
  });

  Deno.test({
    name:
      `transparency (${store}): a binding changed in the store by hand is served, and every client refuses the key it cannot prove${suffix}`,
    ignore,
    fn: () =>
      withDirectory(store, [], async (d) => {
        const alice = await ready(await startClient("alice", d.serve.port));
        const bob = await ready(await startClient("bob", d.serve.port));
        await bob.quit();
        const home = await Deno.makeTempDir();
        const { identity } = await loadOrCreateIdentity(join(home, IDENTITY_FILE));
        await d.tamper("bob", identity.public.key);
        // mallory, with the key the store now names, takes "bob": the store says it is hers.
        const mallory = await ready(await startClient("bob", d.serve.port, { home }));
        try {
          const from = alice.events.length;
          await alice.send("/chat bob");
          const warning = await alice.waitFor(is("security-warning"), 10_000, from);
          assertEquals([warning.reason, warning.detail], ["unproven-binding", "other-key"]);
          assertEquals(warning.got, identity.public.fingerprint);
          await new Promise((r) => setTimeout(r, 300));
          assert(!alice.events.slice(from).some(is("chat-open")), "no chat opened");
          assert(!mallory.events.some(is("chat-request")), "mallory was never asked");
          // mallory's own client sees that the log gives "bob" to another key.
          const own = await mallory.waitFor(is("security-warning", { reason: "own-name-rebound" }));
          assertEquals(own.detail, "bound-to-other");
        } finally {
          await Promise.all([alice.kill(), mallory.kill()]);
          await Deno.remove(home, { recursive: true });
        }
      }),
  });

  Deno.test({
    name:
      `transparency (${store}): a directory rolled back to an older copy of its store is caught by the client that saw more, with both checkpoints saved${suffix}`,
    ignore,
    fn: () =>
      withDirectory(store, [], async (d) => {
        const home = await Deno.makeTempDir();
        let alice = await ready(await startClient("alice", d.serve.port, { home }));
        await alice.quit();
        const restore = await d.snapshot();
        alice = await ready(await startClient("alice", d.serve.port, { home }));
        const bob = await ready(await startClient("bob", d.serve.port));
        await alice.send("/whois bob"); // alice now keeps the log with bob in it
        await alice.waitFor(is("users"));
        await Promise.all([alice.quit(), bob.quit()]);
        await restore();
        await d.restart();
        alice = await startClient("alice", d.serve.port, { home });
        try {
          const warning = await alice.waitFor(is("security-warning"));
          assertEquals(warning.reason, "directory-rollback");
          const log = warning.log as { kept: number; seen: number; evidence: string };
          assertEquals([log.kept, log.seen], [2, 1]);
          assertEquals((await Deno.stat(log.evidence)).mode! & 0o777, 0o600);
          const evidence = JSON.parse(await Deno.readTextFile(log.evidence));
          assertEquals([evidence.kind, evidence.kept.size, evidence.seen.size], [
            "directory-rollback",
            2,
            1,
          ]);
          // Nothing the rolled-back directory shows is trusted now.
          await alice.waitFor(is("ready"));
          const from = alice.events.length;
          await alice.send("/whois alice");
          const refused = await alice.waitFor(is("security-warning"), 10_000, from);
          assertEquals(refused.reason, "directory-rollback");
        } finally {
          await alice.kill();
          await Deno.remove(home, { recursive: true });
        }
      }),
  });

  Deno.test({
    name:
      `transparency (${store}): a directory restored from an older copy that then grew past what a client saw is a fork, with evidence${suffix}`,
    ignore,
    fn: () =>
      withDirectory(store, [], async (d) => {
        const home = await Deno.makeTempDir();
        let alice = await ready(await startClient("alice", d.serve.port, { home }));
        await alice.quit();
        const restore = await d.snapshot();
        alice = await ready(await startClient("alice", d.serve.port, { home }));
        const bob = await ready(await startClient("bob", d.serve.port));
        await alice.send("/whois bob"); // alice keeps the log of alice, then bob
        await alice.waitFor(is("users"));
        await Promise.all([alice.quit(), bob.quit()]);
        await restore();
        await d.restart();
        // Another history grows from the older copy: alice, then carol and dave.
        for (const name of ["carol", "dave"]) {
          await (await ready(await startClient(name, d.serve.port))).quit();
        }
        alice = await startClient("alice", d.serve.port, { home });
        try {
          const warning = await alice.waitFor(is("security-warning"));
          assertEquals(warning.reason, "directory-fork");
          const log = warning.log as { kept: number; seen: number; evidence: string };
          assertEquals([log.kept, log.seen], [2, 3]);
          const evidence = JSON.parse(await Deno.readTextFile(log.evidence));
          assertEquals(evidence.kind, "directory-fork");
          assert(evidence.answer.includes("does not hold"), evidence.answer);
        } finally {
          await alice.kill();
          await Deno.remove(home, { recursive: true });
        }
      }),
  });

  Deno.test({
    name:
      `transparency (${store}): a name another key held while its owner was away is reported to the owner, with that key and when${suffix}`,
    ignore,
    fn: () =>
      withDirectory(store, ["--name-ttl", "1s"], async (d) => {
        const home = await Deno.makeTempDir();
        let bob = await ready(await startClient("bob", d.serve.port, { home }));
        await bob.quit();
        await new Promise((r) => setTimeout(r, 1_200));
        const mallory = await ready(await startClient("bob", d.serve.port));
        const malloryFingerprint = (await mallory.waitFor(is("ready"))).fingerprint;
        await mallory.quit();
        await new Promise((r) => setTimeout(r, 1_200));
        bob = await startClient("bob", d.serve.port, { home });
        try {
          const warning = await bob.waitFor(is("security-warning"));
          assertEquals([warning.reason, warning.detail], ["own-name-rebound", "after-lapse"]);
          assertEquals(warning.got, malloryFingerprint);
          assert((warning.log as { time?: string })?.time, "when it was bound");
          await bob.waitFor(is("ready"));
          // Said once: the next registration finds the count it kept.
          await bob.quit();
          bob = await ready(await startClient("bob", d.serve.port, { home }));
          assertEquals(warnings(bob), []);
        } finally {
          await bob.kill();
          await Deno.remove(home, { recursive: true });
        }
      }),
  });
}
