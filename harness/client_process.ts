/**
 * Runs `p2pchat connect --json` as a real process: write commands to its
 * stdin, wait for the JSON events it prints.
 *
 * @module
 */
import { MAIN } from "./run_cli.ts";
import { eachLine } from "./process_io.ts";

/** One JSON event as printed. */
export type Event = { type: string; [field: string]: unknown };

/** A running client. */
export type ClientProcess = {
  readonly name: string;
  readonly home: string;
  readonly events: Event[];
  readonly stderr: string[];
  readonly process: Deno.ChildProcess;
  /** Types a line. */
  send(line: string): Promise<void>;
  /** The first event (from `from` on) matching `match`, waiting up to `ms`. */
  waitFor(match: (e: Event) => boolean, ms?: number, from?: number): Promise<Event>;
  /** Closes stdin (like Ctrl-D) and waits for the exit code. */
  quit(): Promise<number>;
  kill(signal?: Deno.Signal): Promise<number>;
};

/** Options for a test client. */
export type ClientSetup = {
  home?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Directory host (default 127.0.0.1). */
  host?: string;
  /** The whole --server value instead (a list: `HOST:PORT,HOST:PORT`); `port` is then unused. */
  server?: string;
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** Where to listen for peers (default 127.0.0.1:0). */
  listen?: string;
  /** Permission flags instead of `-A` (the compiled binary's, say). */
  permissions?: readonly string[];
  /** A `--v8-flags=…` argument for the client's Deno (bench-files runs it as the binary does). */
  v8Flags?: string;
};

/** The events seen, for a failure message: the last 20 of them (a flood prints millions). */
function recent(events: Event[]): string {
  const shown = events.slice(-20).map((e) => JSON.stringify(e).slice(0, 300));
  return `${events.length} events${events.length > 20 ? ", the last 20" : ""}: ${shown.join(", ")}`;
}

/** Starts a client against the server at `port`. */
export async function startClient(
  name: string,
  port: number,
  setup: ClientSetup = {},
): Promise<ClientProcess> {
  const home = setup.home ?? await Deno.makeTempDir();
  const [program, prefix] = setup.netns
    ? ["ip", ["netns", "exec", setup.netns, Deno.execPath()]]
    : [Deno.execPath(), []];
  const process = new Deno.Command(program, {
    args: [
      ...prefix,
      "run",
      ...(setup.permissions ?? ["-A"]),
      "--quiet",
      ...(setup.v8Flags ? [setup.v8Flags] : []),
      MAIN,
      "connect",
      "--json",
      "--name",
      name,
      "--server",
      setup.server ?? `${setup.host ?? "127.0.0.1"}:${port}`,
      "--home",
      home,
      "--listen",
      setup.listen ?? "127.0.0.1:0",
      ...(setup.args ?? []),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...setup.env },
  }).spawn();
  const events: Event[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const notify = (): void => waiters.forEach((w) => w());
  const stdoutDone = eachLine(process.stdout, (line) => {
    if (!line.trim()) return;
    events.push(JSON.parse(line));
    notify();
  });
  eachLine(process.stderr, (line) => stderr.push(line));
  const writer = process.stdin.getWriter();
  // "Exited" only once everything it printed has been read: the exit status can arrive first.
  let exited = false;
  const status = Promise.all([process.status, stdoutDone.catch(() => {})]).then(([s]) => {
    exited = true;
    notify();
    return s.code;
  });
  const client: ClientProcess = {
    name,
    home,
    events,
    stderr,
    process,
    async send(line: string): Promise<void> {
      await writer.write(new TextEncoder().encode(line + "\n"));
    },
    waitFor(match, ms = 10_000, from = 0): Promise<Event> {
      return new Promise((resolve, reject) => {
        // Each event is looked at once: a waiter during a flood must not rescan millions.
        let next = from;
        const check = (): void => {
          let hit: Event | undefined;
          for (; hit === undefined && next < events.length; next++) {
            if (match(events[next])) hit = events[next];
          }
          if (hit) {
            cleanup();
            resolve(hit);
          } else if (exited) {
            cleanup();
            reject(
              new Error(
                `${name} exited before the event; ${recent(events)}\n${
                  stderr.slice(-20).join("\n")
                }`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `${name}: no matching event within ${ms} ms; ${recent(events)}\n${
                stderr.slice(-20).join("\n")
              }`,
            ),
          );
        }, ms);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async quit(): Promise<number> {
      await writer.close().catch(() => {});
      return await status;
    },
    async kill(signal: Deno.Signal = "SIGKILL"): Promise<number> {
      try {
        process.kill(signal);
      } catch {
        // Exited already.
      }
      await writer.close().catch(() => {});
      return await status;
    },
  };
  return client;
}
