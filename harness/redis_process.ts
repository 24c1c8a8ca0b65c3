/**
 * A private `redis-server` for one test or benchmark: a free loopback port,
 * its own temporary directory (append-only file on, as operations.md
 * advises), stopped and removed at the end. Never a shared Redis.
 *
 * @module
 */

/** A running Redis. */
export type RedisProcess = {
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Runs `redis-cli` against it; returns its stdout, trimmed. */
  cli(...args: string[]): Promise<string>;
  /** Stops it (SIGTERM: it writes its data), keeping its directory for a restart. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
};

/** Why Redis cannot be had here, or undefined when `redis-server` is installed. */
export function redisMissing(): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin").split(":")) {
    try {
      Deno.statSync(`${dir}/redis-server`);
      return undefined;
    } catch {
      // Not in this one.
    }
  }
  return "redis-server is not installed (.ci/setup installs it: apt-get install redis-server)";
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Starts a private Redis; `extra` are more `redis-server` arguments.
 * With `password`, it requires that password (`--requirepass`) and `cli`
 * logs in with it.
 */
export async function startRedis(
  extra: string[] = [],
  options: { password?: string } = {},
): Promise<RedisProcess> {
  const dir = await Deno.makeTempDir({ prefix: "p2pchat-redis-" });
  const port = freePort();
  let child: Deno.ChildProcess | undefined;
  const login = options.password === undefined ? [] : ["-a", options.password, "--no-auth-warning"];
  const cli = async (...args: string[]): Promise<string> => {
    const out = await new Deno.Command("redis-cli", {
      args: ["-p", String(port), ...login, ...args],
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(out.stdout).trim();
  };
  const start = async (): Promise<void> => {
    child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--appendonly",
        "yes",
        "--save",
        "",
        "--daemonize",
        "no",
        "--maxmemory-policy",
        "noeviction",
        ...(options.password === undefined ? [] : ["--requirepass", options.password]),
        ...extra,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await cli("PING").catch(() => "") === "PONG") return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await stop();
    throw new Error(`redis-server did not answer on port ${port} within 10 s`);
  };
  const stop = async (): Promise<void> => {
    if (!child) return;
    try {
      child.kill("SIGTERM");
    } catch {
      // Gone already.
    }
    await child.status;
    child = undefined;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    cli,
    stop,
    restart: start,
    async close(): Promise<void> {
      await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
