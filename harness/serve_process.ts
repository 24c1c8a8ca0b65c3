/**
 * Starts `p2pchat serve` as a real process on port 0 and reads where it
 * listens and which fingerprint it has from its stdout.
 *
 * @module
 */
import { type Fingerprint, parseFingerprint } from "../crypto/mod.ts";
import { MAIN } from "./run_cli.ts";
import { eachLine } from "./process_io.ts";

/** A running server process. */
export type ServeProcess = {
  readonly port: number;
  readonly fingerprint: Fingerprint;
  readonly metricsUrl?: string;
  readonly process: Deno.ChildProcess;
  /** Every line the server logged so far (stderr). */
  readonly log: string[];
  /** Sends `signal` and waits for the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
};

/** Options for a test server. */
export type ServeSetup = {
  data?: string;
  args?: string[];
  /** A shell prefix such as `ulimit -n 100;` (runs under bash). */
  shellPrefix?: string;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** A `--v8-flags=…` argument for the server's Deno (benchmarks run it as `deno task serve` does). */
  v8Flags?: string;
  /** More flags for the server's Deno, after the permissions (`--cpu-prof`, say). */
  denoFlags?: readonly string[];
  /** Permission flags instead of `-A` (the compiled binary's, say). */
  permissions?: readonly string[];
  /** Another tree's main.ts to run (a benchmark's baseline); this tree's by default. */
  main?: string;
};

/** Starts a server on 127.0.0.1 and a free port. */
export async function startServe(setup: ServeSetup = {}): Promise<ServeProcess> {
  const data = setup.data ?? await Deno.makeTempDir();
  const args = [
    "run",
    ...(setup.permissions ?? ["-A"]),
    "--quiet",
    ...(setup.v8Flags ? [setup.v8Flags] : []),
    ...(setup.denoFlags ?? []),
    setup.main ?? MAIN,
    "serve",
    "--host",
    setup.host ?? "127.0.0.1",
    "--port",
    "0",
    "--data",
    data,
    ...(setup.args ?? []),
  ];
  const [program, programArgs] = setup.shellPrefix
    ? ["bash", ["-c", `${setup.shellPrefix} exec "$0" "$@"`, Deno.execPath(), ...args]]
    : setup.netns
    ? ["ip", ["netns", "exec", setup.netns, Deno.execPath(), ...args]]
    : [Deno.execPath(), args];
  const command = new Deno.Command(program, {
    args: programArgs,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1" },
  });
  const process = command.spawn();
  const log: string[] = [];
  eachLine(process.stderr, (line) => log.push(line));
  const lines: string[] = [];
  const ready = Promise.withResolvers<void>();
  eachLine(process.stdout, (line) => {
    lines.push(line);
    if (line.startsWith("server fingerprint:") && !setup.args?.includes("--metrics")) {
      ready.resolve();
    }
    if (line.startsWith("metrics on")) ready.resolve();
  }).then(() => ready.reject(new Error(`serve exited early:\n${log.join("\n")}`)));
  const timer = setTimeout(
    () => ready.reject(new Error("serve did not start within 10 s")),
    10_000,
  );
  await ready.promise.finally(() => clearTimeout(timer));
  const port = Number(
    lines.find((l) => l.startsWith("p2pchat directory listening on"))!.split(":").pop(),
  );
  const fingerprint = parseFingerprint(
    lines.find((l) => l.startsWith("server fingerprint:"))!.slice(19),
  )!;
  const metricsLine = lines.find((l) => l.startsWith("metrics on "));
  let status: Promise<Deno.CommandStatus> | undefined;
  return {
    port,
    fingerprint,
    metricsUrl: metricsLine?.slice("metrics on ".length).replace(/\/metrics$/, ""),
    process,
    log,
    async stop(signal: Deno.Signal = "SIGTERM"): Promise<number> {
      status ??= (async () => {
        try {
          process.kill(signal);
        } catch {
          // Exited already.
        }
        return await process.status;
      })();
      return (await status).code;
    },
  };
}

/**
 * Polls `check` every `everyMs` until it is true or `ms` pass; returns
 * whether it became true. Poll a check that opens a session slowly.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 5000,
  everyMs = 25,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return await check();
}
