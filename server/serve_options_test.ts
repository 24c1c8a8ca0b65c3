import { assertEquals, assertRejects } from "../tests/assert.ts";
import { parseFlags, UsageError } from "../cli/mod.ts";
import { serveCommand } from "./serve_command.ts";
import { parseServeOptions } from "./serve_options.ts";

const env = { HOME: "/home/u" };
const parse = (args: string[]) => parseServeOptions(parseFlags(serveCommand, args), env, 19_000);

Deno.test("parseServeOptions() gives the documented defaults", () => {
  assertEquals(parse([]), {
    hostname: "0.0.0.0",
    port: 7447,
    dataDir: "/home/u/.config/p2pchat/server",
    store: { kind: "sqlite" },
    maxClients: 19_000,
    maxPerAddress: 64,
    registerRate: 10,
    nameTtlMs: 30 * 86_400_000,
    idleTimeoutMs: 90_000,
    handshakeTimeoutMs: 10_000,
    maxHandshakes: 1024,
    startups: { start: 512, rate: 30, full: 1024, perSource: 32 },
    metrics: undefined,
    log: "text",
    mail: { ttlMs: 14 * 86_400_000 },
    relay: {
      enabled: true,
      maxSessions: 1000,
      maxPerClient: 4,
      maxBytes: 64 * 1024 ** 2,
      tokenTtlMs: 15_000,
    },
  });
});

Deno.test("parseServeOptions() reads --mail and --mail-ttl, and refuses a bad one", async () => {
  assertEquals(parse(["--mail", "off"]).mail, undefined);
  assertEquals(parse(["--mail-ttl", "3d"]).mail, { ttlMs: 3 * 86_400_000 });
  const error = await assertRejects(
    () => Promise.resolve().then(() => parse(["--mail", "maybe"])),
    UsageError,
  );
  assertEquals(error.message.includes("--mail"), true, error.message);
});

Deno.test("parseServeOptions() reads every flag", () => {
  const options = parse([
    "--host=127.0.0.1",
    "--port=0",
    "--data=/srv/p2p",
    "--max-clients=5",
    "--max-per-address=0",
    "--register-rate=0",
    "--name-ttl=7d",
    "--idle-timeout=1m",
    "--handshake-timeout=500ms",
    "--metrics=:9000",
    "--log=json",
    "--relay=off",
    "--relay-max-bytes=1K",
    "--max-startups=10:50:100",
    "--per-source-startups=0",
  ]);
  assertEquals(options.startups, { start: 10, rate: 50, full: 100, perSource: 0 });
  assertEquals(options.relay.enabled, false);
  assertEquals(options.relay.maxBytes, 1024);
  assertEquals(options.dataDir, "/srv/p2p");
  assertEquals(options.maxClients, 5);
  assertEquals(options.nameTtlMs, 7 * 86_400_000);
  assertEquals(options.idleTimeoutMs, 60_000);
  assertEquals(options.handshakeTimeoutMs, 500);
  assertEquals(options.metrics, { hostname: "127.0.0.1", port: 9000 });
  assertEquals(options.log, "json");
});

Deno.test("parseServeOptions() names the flag at fault", async () => {
  for (
    const [args, words] of [
      [["--port", "x"], "--port"],
      [["--log", "yaml"], "--log"],
      [["--max-clients", "0"], "--max-clients"],
      [["--max-startups", "100:30:10"], "--max-startups must be START:RATE:FULL"],
      [["--max-startups", "1:101:10"], "--max-startups"],
      [["--max-startups", "1:2"], "--max-startups"],
      [["--store", "postgres://x"], "--store must be sqlite or redis://"],
      [["--store", "redis://:pw@h:1/x"], "--store: the Redis database must be a number"],
      [["--advertise", "7447"], "--advertise must be HOST:PORT"],
      [["--advertise", ":7447"], "--advertise must name a host"],
    ]
  ) {
    const error = await assertRejects(
      () => Promise.resolve().then(() => parse(args as string[])),
      UsageError,
    );
    assertEquals(error.message.startsWith(words as string), true, error.message);
  }
});

Deno.test("parseServeOptions() takes the store from --store, else $P2PCHAT_STORE, and hides passwords in errors", async () => {
  const url = "redis://u:pw@10.0.0.5:6379/2";
  assertEquals(parse(["--store", url]).store, { kind: "redis", url });
  assertEquals(parse(["--store", "rediss://h:6380"]).store, {
    kind: "redis",
    url: "rediss://h:6380",
  });
  const fromEnv = (store: string, args: string[] = []) =>
    parseServeOptions(parseFlags(serveCommand, args), { ...env, P2PCHAT_STORE: store }, 1);
  assertEquals(fromEnv(url).store, { kind: "redis", url });
  assertEquals(fromEnv(url, ["--store", "sqlite"]).store, { kind: "sqlite" });
  const error = await assertRejects(
    () => Promise.resolve().then(() => fromEnv("mysql://root:hunter2@db")),
    UsageError,
  );
  assertEquals(error.message.startsWith("$P2PCHAT_STORE must be"), true, error.message);
  assertEquals(error.message.includes("hunter2"), false, error.message);
  assertEquals(parse(["--advertise", "dir1.example.org:7447"]).advertise, "dir1.example.org:7447");
  assertEquals(
    parse(["--identity", "/etc/p2pchat/identity.key"]).identityFile,
    "/etc/p2pchat/identity.key",
  );
});
