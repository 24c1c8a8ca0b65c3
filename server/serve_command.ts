/**
 * `p2pchat serve`: the directory server.
 *
 * @module
 */
import { join } from "node:path";
import type { Command } from "../cli/mod.ts";
import { formatFingerprint } from "../crypto/mod.ts";
import { IDENTITY_FILE, loadIdentity, loadOrCreateIdentity } from "../storage/mod.ts";
import { homeEnvFromProcess } from "../storage/mod.ts";
import { ensurePrivateDir, FILE_MODE } from "../storage/mod.ts";
import { Logger } from "./ops/mod.ts";
import { serveMetrics } from "./ops/mod.ts";
import { SqliteNameStore } from "./state/mod.ts";
import { type Mailbox, SqliteMailbox } from "./mail/mod.ts";
import { RedisMailbox } from "./mail/mod.ts";
import { redactUrl, RedisDirectory } from "./state/mod.ts";
import { parseServeOptions, serveFlags, type ServeOptions } from "./serve_options.ts";
import { defaultMaxClients, DirectoryServer } from "./server.ts";
import type { Session } from "./session.ts";

/** File name of the name store inside the server's data directory. */
export const NAME_STORE_FILE = "names.sqlite";

/** File name of the held mail inside the server's data directory. */
export const MAIL_STORE_FILE = "mail.sqlite";

/** The `serve` subcommand. */
export const serveCommand: Command<typeof serveFlags> = {
  name: "serve",
  summary: "run the directory server",
  flags: serveFlags,
  example: "p2pchat serve --port 7447 --metrics 127.0.0.1:9447",
  async run(values): Promise<number> {
    const options = parseServeOptions(
      values,
      { ...homeEnvFromProcess(), P2PCHAT_STORE: Deno.env.get("P2PCHAT_STORE") || undefined },
      defaultMaxClients(),
    );
    await ensurePrivateDir(options.dataDir);
    const identity = options.identityFile
      ? await loadIdentity(options.identityFile)
      : (await loadOrCreateIdentity(join(options.dataDir, IDENTITY_FILE))).identity;
    const log = new Logger(options.log);
    const { store: _store, log: _format, mail: _mail, ...settings } = options;
    const server = DirectoryServer.start({
      ...settings,
      identity,
      log,
      ...await openState(options, log),
      mailbox: await openMailbox(options),
    });
    if (options.store.kind === "redis" && !options.advertise && isWildcard(options.hostname)) {
      log.event("warning", {
        problem: "advertise-wildcard",
        action:
          `listening on ${options.hostname} without --advertise: users of other instances cannot join relayed chats here; pass --advertise HOST:PORT`,
      });
    }
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
    log.event("started", {
      address: `${hostname}:${port}`,
      maxClients: options.maxClients,
      store: options.store.kind === "redis" ? redactUrl(options.store.url) : "sqlite",
    });

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

/** The store `serve` was told to use: its SQLite file, or a Redis shared with other instances. */
async function openState(
  options: ServeOptions,
  log: Logger,
): Promise<{ store: SqliteNameStore } | { state: RedisDirectory<Session> }> {
  if (options.store.kind === "redis") {
    return {
      state: await RedisDirectory.connect<Session>({
        url: options.store.url,
        nameTtlMs: options.nameTtlMs,
        log,
      }),
    };
  }
  const storePath = join(options.dataDir, NAME_STORE_FILE);
  // SQLite creates its -wal and -shm files with the database's mode, so set it first.
  await Deno.writeFile(storePath, new Uint8Array(0), { append: true, mode: FILE_MODE });
  await Deno.chmod(storePath, FILE_MODE);
  return { store: new SqliteNameStore(storePath) };
}

/** Where mail for offline users is held: beside the bindings, in SQLite or Redis. */
async function openMailbox(options: ServeOptions): Promise<Mailbox | undefined> {
  if (!options.mail) return undefined;
  if (options.store.kind === "redis") {
    return await RedisMailbox.connect(options.store.url, {
      ttlMs: options.mail.ttlMs,
      prekeyTtlMs: options.nameTtlMs,
    });
  }
  const path = join(options.dataDir, MAIL_STORE_FILE);
  await Deno.writeFile(path, new Uint8Array(0), { append: true, mode: FILE_MODE });
  await Deno.chmod(path, FILE_MODE);
  return new SqliteMailbox(path, options.mail.ttlMs);
}

function isWildcard(hostname: string): boolean {
  return hostname === "0.0.0.0" || hostname === "::" || hostname === "[::]";
}
