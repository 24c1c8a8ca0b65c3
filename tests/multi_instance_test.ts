/**
 * Several `serve` instances sharing one Redis form one directory: real
 * server and client processes, a private redis-server per test.
 */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { Identity } from "../crypto/mod.ts";
import { INSTANCE_TTL_MS } from "../server/state/mod.ts";
import { DirectoryError } from "../protocol/mod.ts";
import { DirectoryClient } from "../client/directory/mod.ts";
import {
  type ClientProcess,
  type Event,
  eventually,
  killAll,
  redisMissing,
  type RedisProcess,
  runCli,
  scrape,
  type ServeProcess,
  startClient,
  startRedis,
  startServe,
} from "../harness/mod.ts";

const missing = redisMissing();
const test = (name: string, fn: () => Promise<void>): void =>
  Deno.test({
    name: `redis: ${name}${missing ? ` (skipped: ${missing})` : ""}`,
    ignore: !!missing,
    fn,
  });

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

/** Redis and `count` instances over it that share one identity (the first's, by --identity). */
async function directory(
  count: number,
  extra: string[] = [],
): Promise<{ redis: RedisProcess; instances: ServeProcess[]; close(): Promise<void> }> {
  const redis = await startRedis();
  const first = await Deno.makeTempDir();
  const instances: ServeProcess[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(instances.map((i) => i.stop("SIGKILL")));
    await redis.close();
  };
  try {
    instances.push(await startServe({ data: first, args: ["--store", redis.url, ...extra] }));
    for (let i = 1; i < count; i++) {
      instances.push(
        await startServe({
          args: ["--store", redis.url, "--identity", join(first, "identity.key"), ...extra],
        }),
      );
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { redis, instances, close };
}

async function probe(
  server: ServeProcess,
  identity = Identity.generate(),
): Promise<DirectoryClient> {
  return await DirectoryClient.connect({ hostname: "127.0.0.1", port: server.port }, {
    identity,
    expectedServer: server.fingerprint,
    heartbeatMs: 0,
  });
}

/** Who `server` lists online, not counting the registered probe that asks. */
async function listed(server: ServeProcess): Promise<string[]> {
  const client = await probe(server);
  try {
    await client.register(`probe${crypto.randomUUID().slice(0, 8)}`, 1);
    return (await client.list()).users.map((u) => u.name).filter((n) => !n.startsWith("probe"));
  } finally {
    await client.bye();
  }
}

async function chat(a: ClientProcess, b: ClientProcess, path: string, text: string): Promise<void> {
  const from = [a.events.length, b.events.length];
  await a.send(`/chat ${b.name}`);
  assertEquals((await a.waitFor(is("chat-open", { peer: b.name }), 15_000, from[0])).path, path);
  await a.send(text);
  await b.waitFor(is("message", { peer: a.name, text }), 10_000, from[1]);
  await a.send("EOM");
  await b.waitFor(is("chat-closed", { peer: a.name }), 10_000, from[1]);
}

test("alice on one instance and bob on another list and look up each other and chat directly and through the relay", async () => {
  const { instances: [a, b], close } = await directory(2, ["--metrics", "127.0.0.1:0"]);
  assertEquals(a.fingerprint, b.fingerprint, "every instance presents the one identity");
  const clients: ClientProcess[] = [];
  try {
    const alice = await startClient("alice", a.port, { args: ["--auto-accept"] });
    const bob = await startClient("bob", b.port, { args: ["--auto-accept"] });
    clients.push(alice, bob);
    await Promise.all([alice.waitFor(is("ready")), bob.waitFor(is("ready"))]);
    assertEquals(await listed(a), ["alice", "bob"]);
    assertEquals(await listed(b), ["alice", "bob"]);
    await bob.send("/whois alice");
    const whois = await bob.waitFor(is("users"));
    assertEquals(
      (whois.users as { fingerprint: string }[])[0].fingerprint,
      alice.events.find(is("ready"))!.fingerprint,
    );
    await chat(alice, bob, "direct", "hello across instances");
    // alice insists on the relay: the offer reaches bob on B through the store.
    const carol = await startClient("carol", a.port, { args: ["--relay", "always"] });
    clients.push(carol);
    await carol.waitFor(is("ready"));
    await chat(carol, bob, "relay", "relayed across instances");
    assert(
      await eventually(async () =>
        await scrape(`${a.metricsUrl}/metrics`, "p2pchat_directory_users_online") === 3 &&
        await scrape(`${b.metricsUrl}/metrics`, "p2pchat_directory_users_online") === 3
      ),
      "each instance counts every instance's users",
    );
    assertEquals(await scrape(`${a.metricsUrl}/metrics`, "p2pchat_users_online"), 2);
    assertEquals(await scrape(`${b.metricsUrl}/metrics`, "p2pchat_store_up"), 1);
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await close();
  }
});

test("100 concurrent registrations of one name by different keys over two instances bind it exactly once", async () => {
  const limits = ["--register-rate", "0", "--max-per-address", "0"];
  const { instances, close } = await directory(2, limits);
  const clients: DirectoryClient[] = [];
  try {
    for (let i = 0; i < 100; i++) clients.push(await probe(instances[i % 2]));
    const outcomes = await Promise.allSettled(clients.map((c) => c.register("contested", 1)));
    const won = outcomes.filter((o) => o.status === "fulfilled");
    assertEquals(won.length, 1, "exactly one key wins");
    for (const lost of outcomes.filter((o) => o.status === "rejected")) {
      const error = (lost as PromiseRejectedResult).reason;
      assert(error instanceof DirectoryError && error.code === "name-taken", String(error));
    }
    assertEquals((await listed(instances[0])).filter((n) => n === "contested").length, 1);
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await close();
  }
});

test("registering again on another instance with the same key replaces the session on the first, which closes it", async () => {
  const { instances: [a, b], close } = await directory(2);
  const identity = Identity.generate();
  try {
    const first = await probe(a, identity);
    await first.register("alice", 1111);
    const second = await probe(b, identity);
    await second.register("alice", 2222);
    assertEquals((await first.closed).reason, "replaced");
    const watcher = await probe(a);
    await watcher.register("watcher", 1);
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(
      (await watcher.lookup("alice")).port,
      2222,
      "A's leave must not remove B's presence",
    );
    await second.bye();
    assert(
      await eventually(() => watcher.lookup("alice").then(() => false, () => true)),
      "alice stayed listed after leaving B",
    );
    await watcher.bye();
  } finally {
    await close();
  }
});

test("a SIGKILLed instance's users vanish from the others within the idle timeout plus 5 s, and its clients fail over and chat again", async () => {
  // An idle timeout above the clients' 10 s heartbeat: a shorter one drops alice and bob now and
  // then while they are idle, and a listing taken while one reconnects misses them (the flake
  // this test had on a busy machine). Every wait below is for a condition, bounded.
  const { instances: [a, b], close } = await directory(2, [
    "--idle-timeout",
    "15s",
    "--register-rate",
    "0",
  ]);
  const clients: ClientProcess[] = [];
  const lists = (server: ServeProcess, names: string[], ms: number): Promise<boolean> =>
    eventually(async () => (await listed(server)).join() === names.join(), ms, 200);
  try {
    const both = `127.0.0.1:${a.port},127.0.0.1:${b.port}`;
    const alice = await startClient("alice", 0, { server: both, args: ["--auto-accept"] });
    // carol knows only A: she cannot come back, so her presence must go.
    const carol = await startClient("carol", a.port);
    const bob = await startClient("bob", b.port, { args: ["--auto-accept"] });
    clients.push(alice, bob, carol);
    await Promise.all(clients.map((c) => c.waitFor(is("ready"))));
    assert(await lists(b, ["alice", "bob", "carol"], 10_000), `B lists ${await listed(b)}`);
    const killed = Date.now();
    await a.stop("SIGKILL");
    await alice.waitFor(is("server-restored"), 20_000);
    assert(
      await eventually(async () => !(await listed(b)).includes("carol"), 10_000 + 5_000, 200),
      "carol's presence outlived its instance",
    );
    const gone = Date.now() - killed;
    assert(gone <= INSTANCE_TTL_MS + 5_000, `carol vanished after ${gone} ms`);
    assert(await lists(b, ["alice", "bob"], 10_000), `B lists ${await listed(b)}`);
    await chat(alice, bob, "direct", "after failover");
  } finally {
    await killAll(clients.map((c) => c.process));
    await close();
  }
});

test("Redis stopped under running instances: store-unavailable and /healthz 503 while down, chats go on, recovery after with no binding lost", async () => {
  const { redis, instances: [a, b], close } = await directory(2, ["--metrics", "127.0.0.1:0"]);
  const clients: ClientProcess[] = [];
  try {
    const alice = await startClient("alice", a.port, { args: ["--auto-accept"] });
    const bob = await startClient("bob", b.port, { args: ["--auto-accept"] });
    clients.push(alice, bob);
    await Promise.all(clients.map((c) => c.waitFor(is("ready"))));
    await alice.send("/chat bob");
    await alice.waitFor(is("chat-open", { peer: "bob" }));
    const watcher = await probe(a);
    await watcher.register("watcher", 1);
    await redis.stop();
    const newcomer = await probe(a);
    const error = await assertRejects(
      () => newcomer.register("dave", 1),
      DirectoryError,
      "store-unavailable",
    );
    assert(error.message.includes("try again"), error.message);
    await assertRejects(() => watcher.lookup("alice"), DirectoryError, "store-unavailable");
    await assertRejects(() => watcher.list(), DirectoryError, "store-unavailable");
    const health = await fetch(`${a.metricsUrl}/healthz`);
    await health.body?.cancel();
    assertEquals(health.status, 503);
    assertEquals(await scrape(`${a.metricsUrl}/metrics`, "p2pchat_store_up"), 0);
    assert(await scrape(`${a.metricsUrl}/metrics`, "p2pchat_store_errors_total") >= 2);
    await alice.send("while the store is down");
    await bob.waitFor(is("message", { text: "while the store is down" }));
    // Longer than an instance's heartbeat lasts: on Redis's return each
    // instance may sweep the other's users, and each must put its own back.
    await new Promise((r) => setTimeout(r, INSTANCE_TTL_MS + 1000));
    await redis.restart();
    assert(
      await eventually(async () => {
        const health = await fetch(`${a.metricsUrl}/healthz`);
        await health.body?.cancel();
        return health.status === 200;
      }, 10_000),
      "the instance did not reconnect by itself",
    );
    for (const instance of [a, b]) {
      assert(
        await eventually(
          async () => (await listed(instance)).join() === "alice,bob,watcher",
          10_000,
        ),
        `after recovery ${instance.port} lists ${await listed(instance)}`,
      );
    }
    await newcomer.register("dave", 1);
    assertEquals((await watcher.lookup("alice")).name, "alice");
    await assertRejects(() => newcomer.lookup("nobody"), DirectoryError, "not-found");
    const mallory = await probe(a);
    await assertRejects(() => mallory.register("alice", 1), DirectoryError, "name-taken");
    await Promise.all([newcomer.close(), mallory.close(), watcher.close()]);
    await bob.send("after the store came back");
    await alice.waitFor(is("message", { text: "after the store came back" }));
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await close();
  }
});

test("serve exits 1 naming the URL (password hidden) when Redis cannot be reached", async () => {
  const result = await runCli([
    "serve",
    "--port",
    "0",
    "--data",
    await Deno.makeTempDir(),
    "--store",
    "redis://me:secret@127.0.0.1:1",
  ]);
  assertEquals(result.code, 1, result.stderr);
  assert(result.stderr.includes("redis://me:***@127.0.0.1:1"), result.stderr);
  assert(!result.stderr.includes("secret"), result.stderr);
});

test("serve exits 1 saying Redis refused the login, not that it is unreachable", async () => {
  const redis = await startRedis([], { password: "s3cret-pass" });
  try {
    const data = await Deno.makeTempDir();
    const serve = (url: string) => runCli(["serve", "--port", "0", "--data", data, "--store", url]);
    const none = await serve(redis.url);
    assertEquals(none.code, 1, none.stderr);
    assertEquals(
      none.stderr.trim(),
      `p2pchat: The store at ${redis.url} refused the login: it requires a password and --store gives none; put the right user and password in --store (redis://USER:PASSWORD@HOST:PORT)`,
    );
    const wrong = await serve(`redis://:nope-nope@127.0.0.1:${redis.port}`);
    assertEquals(wrong.code, 1, wrong.stderr);
    assert(
      wrong.stderr.includes(
        `The store at redis://:***@127.0.0.1:${redis.port} refused the login: the user or password in --store is wrong`,
      ),
      wrong.stderr,
    );
    assert(!wrong.stderr.includes("nope-nope") && !wrong.stderr.includes("Connection is closed"));
    const file = join(data, "names.sqlite");
    const empty = new DatabaseSync(file);
    empty.exec("CREATE TABLE bindings (key TEXT, name TEXT, public_key BLOB, last_used INTEGER)");
    empty.close();
    const copy = await runCli([
      "store",
      "copy",
      "--from",
      `sqlite:${file}`,
      "--to",
      redis.url,
    ]);
    assertEquals(copy.code, 1, copy.stderr);
    assert(
      copy.stderr.includes("refused the login: it requires a password and --to gives none"),
      copy.stderr,
    );
  } finally {
    await redis.close();
  }
});

test("store copy moves a single-process directory's bindings into Redis, idempotently", async () => {
  const data = await Deno.makeTempDir();
  const aliceId = Identity.generate();
  const single = await startServe({ data });
  try {
    for (const [name, identity] of [["alice", aliceId], ["bob", Identity.generate()]] as const) {
      const client = await probe(single, identity);
      await client.register(name, 1);
      await client.bye();
    }
  } finally {
    await single.stop();
  }
  const redis = await startRedis();
  try {
    const from = `sqlite:${join(data, "directory.sqlite")}`;
    const first = await runCli(["store", "copy", "--from", from, "--to", redis.url]);
    assertEquals(first.code, 0, first.stderr);
    assert(first.stdout.includes("copied 2, already there 0"), first.stdout);
    const again = await runCli(["store", "copy", "--from", from, "--to", redis.url]);
    assert(again.stdout.includes("copied 0, already there 2"), again.stdout);
    const server = await startServe({ data, args: ["--store", redis.url] });
    try {
      const mallory = await probe(server);
      await assertRejects(() => mallory.register("alice", 1), DirectoryError, "name-taken");
      await mallory.close();
      const alice = await probe(server, aliceId);
      await alice.register("alice", 1);
      await alice.bye();
    } finally {
      await server.stop();
    }
    const missing = await runCli([
      "store",
      "copy",
      "--from",
      "sqlite:/nonexistent",
      "--to",
      redis.url,
    ]);
    assertEquals(missing.code, 1);
    assert(missing.stderr.includes("/nonexistent"), missing.stderr);
  } finally {
    await redis.close();
  }
});

test("a server list entry that proves another key is never used: the client reports it and fails over to the next", async () => {
  const { instances: [a, b], close } = await directory(2, ["--register-rate", "0"]);
  const impostor = await startServe();
  const clients: ClientProcess[] = [];
  try {
    const list = [a, impostor, b].map((s) => `127.0.0.1:${s.port}`).join(",");
    const alice = await startClient("alice", 0, { server: list });
    clients.push(alice);
    await alice.waitFor(is("ready"));
    await a.stop("SIGKILL");
    const refused = await alice.waitFor(is("error", { code: "server-key-mismatch" }), 20_000);
    assert(String(refused.message).includes(`127.0.0.1:${impostor.port}`), String(refused.message));
    await alice.waitFor(is("server-restored"), 20_000);
    assertEquals(await listed(b), ["alice"]);
    assertEquals(await listed(impostor), [], "alice never registered with the impostor");
  } finally {
    await killAll(clients.map((c) => c.process));
    await impostor.stop();
    await close();
  }
});

test("serve warns at start when Redis keeps neither an append-only file nor snapshots", async () => {
  const redis = await startRedis(["--appendonly", "no"]);
  try {
    const server = await startServe({ args: ["--store", redis.url] });
    await server.stop();
    assert(
      server.log.some((line) => line.includes("no-persistence") && line.includes("appendonly yes")),
      server.log.join("\n"),
    );
  } finally {
    await redis.close();
  }
});

test("a message left on one instance for someone offline reaches them on another, and the receipt comes back across", async () => {
  const { instances: [a, b], close } = await directory(2);
  const clients: ClientProcess[] = [];
  try {
    const bobHome = await Deno.makeTempDir();
    const bob1 = await startClient("bob", b.port, { home: bobHome });
    await bob1.waitFor(is("ready"));
    assertEquals(await bob1.quit(), 0);
    const alice = await startClient("alice", a.port);
    clients.push(alice);
    await alice.waitFor(is("ready"));
    await alice.send("/msg bob left on instance A");
    const queued = await alice.waitFor(is("queued", { peer: "bob" }));
    const bob = await startClient("bob", b.port, { home: bobHome });
    clients.push(bob);
    const got = await bob.waitFor(is("message", { peer: "alice", offline: true }));
    assertEquals(got.text, "left on instance A");
    // The receipt is left on B for alice, online on A: it reaches her through the store.
    const delivered = await alice.waitFor(is("delivered", { peer: "bob", offline: true }));
    assertEquals(delivered.id, queued.id);
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await close();
  }
});
