/**
 * `p2pchat serve`: the directory server.
 *
 * @module
 */
import { join } from "node:path";
import type { Command } from "../cli/command.ts";
import { formatFingerprint } from "../crypto/mod.ts";
import { IDENTITY_FILE, loadOrCreateIdentity } from "../storage/identity_file.ts";
import { homeEnvFromProcess } from "../storage/data_dir.ts";
import { ensurePrivateDir, FILE_MODE } from "../storage/secure_file.ts";
import { Logger } from "./log.ts";
import { serveMetrics } from "./metrics_http.ts";
import { SqliteNameStore } from "./name_store.ts";
import { parseServeOptions, serveFlags } from "./serve_options.ts";
import { defaultMaxClients, DirectoryServer } from "./server.ts";

/** File name of the name store inside the server's data directory. */
export const NAME_STORE_FILE = "names.sqlite";

/** The `serve` subcommand. */
export const serveCommand: Command<typeof serveFlags> = {
  name: "serve",
  summary: "run the directory server",
  flags: serveFlags,
  example: "p2pchat serve --port 7447 --metrics 127.0.0.1:9447",
  async run(values): Promise<number> {
    const options = parseServeOptions(values, homeEnvFromProcess(), defaultMaxClients());
    await ensurePrivateDir(options.dataDir);
    const { identity } = await loadOrCreateIdentity(join(options.dataDir, IDENTITY_FILE));
    const storePath = join(options.dataDir, NAME_STORE_FILE);
    // SQLite creates its -wal and -shm files with the database's mode, so set it first.
    await Deno.writeFile(storePath, new Uint8Array(0), { append: true, mode: FILE_MODE });
    await Deno.chmod(storePath, FILE_MODE);
    const log = new Logger(options.log);
    const server = DirectoryServer.start({
      ...options,
      identity,
      store: new SqliteNameStore(storePath),
      log,
    });
    const metrics = options.metrics
      ? serveMetrics(
        options.metrics,
        () =>
          server.metrics.render({
            usersOnline: server.state.localCount,
            directoryUsersOnline: server.state.totalCount,
            storeUp: server.state.storeUp,
            storeErrors: server.state.storeErrors,
          }, server.relay),
        () => server.state.storeUp,
      )
      : undefined;
    const { hostname, port } = server.addr;
    console.log(
      `p2pchat directory listening on ${
        hostname.includes(":") ? `[${hostname}]` : hostname
      }:${port}`,
    );
    console.log(`server fingerprint: ${formatFingerprint(identity.public.fingerprint)}`);
    if (metrics) {
      console.log(`metrics on http://${metrics.addr.hostname}:${metrics.addr.port}/metrics`);
    }
    log.event("started", { address: `${hostname}:${port}`, maxClients: options.maxClients });

    const stop = Promise.withResolvers<string>();
    const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
    const handlers = signals.map((signal) => {
      const handler = (): void => stop.resolve(signal);
      Deno.addSignalListener(signal, handler);
      return [signal, handler] as const;
    });
    const signal = await stop.promise;
    log.event("stopping", { signal });
    await server.shutdown();
    await metrics?.shutdown();
    for (const [s, handler] of handlers) Deno.removeSignalListener(s, handler);
    return 0;
  },
};
