/**
 * `p2pchat serve`: the directory server.
 *
 * @module
 */
import { join } from "node:path";
import type { Command } from "../cli/mod.ts";
import { formatFingerprint, type Identity } from "../crypto/mod.ts";
import { IDENTITY_FILE, loadIdentity, loadOrCreateIdentity } from "../storage/mod.ts";
import { homeEnvFromProcess } from "../storage/mod.ts";
import { ensurePrivateDir, writableByOthers } from "../storage/mod.ts";
import { Logger } from "./ops/mod.ts";
import { serveMetrics } from "./ops/mod.ts";
import {
  DATABASE_FILE,
  type DirectoryState,
  type NameStore,
  openDirectoryDatabase,
  SqliteNameStore,
} from "./state/mod.ts";
import { type Mailbox, SqliteMailbox } from "./mail/mod.ts";
import { RedisMailbox } from "./mail/mod.ts";
import { redactUrl, RedisDirectory } from "./state/mod.ts";
import { parseServeOptions, serveFlags, type ServeOptions } from "./serve_options.ts";
import { DirectoryServer } from "./server.ts";
import { defaultMaxClients } from "./descriptors.ts";
import { listenFailure } from "./listen_failure.ts";
import type { Session } from "./session.ts";

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
    const log = new Logger(options.log);
    const exposed = await writableByOthers(options.dataDir);
    if (exposed) log.event("warning", { problem: "data-dir-writable", action: exposed });
    const identity = options.identityFile
      ? await loadIdentity(options.identityFile)
      : (await loadOrCreateIdentity(join(options.dataDir, IDENTITY_FILE))).identity;
    const stores = await openStores(options, log, identity);
    const { store: _store, log: _format, mail: _mail, ...settings } = options;
    // Both listeners open before anything runs, so that either failing leaves nothing behind.
    let server: DirectoryServer | undefined;
    let metrics: ReturnType<typeof serveMetrics> | undefined;
    try {
      metrics = options.metrics && openMetrics(options.metrics, () => server);
      server = DirectoryServer.start({ ...settings, identity, log, ...stores });
    } catch (error) {
      await metrics?.shutdown();
      await stores.state?.close();
      stores.store?.close();
      await stores.mailbox?.close();
      throw error;
    }
    if (options.store.kind === "redis" && !options.advertise && isWildcard(options.hostname)) {
      log.event("warning", {
        problem: "advertise-wildcard",
        action:
          `listening on ${options.hostname} without --advertise: users of other instances cannot join relayed chats here; pass --advertise HOST:PORT`,
      });
    }
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

/** What `serve` keeps its state in: one SQLite database, or a Redis shared with other instances. */
type Stores = { store?: NameStore; state?: DirectoryState<Session>; mailbox?: Mailbox };

/**
 * Opens the stores `serve` was told to use: the bindings (with their
 * prekeys) and the mailbox in one SQLite database, or both in Redis.
 */
async function openStores(options: ServeOptions, log: Logger, identity: Identity): Promise<Stores> {
  if (options.store.kind === "redis") {
    const state = await RedisDirectory.connect<Session>({
      url: options.store.url,
      nameTtlMs: options.nameTtlMs,
      log,
      clock: Date.now,
      // Key transparency (docs/protocol.md §15): every instance signs the one log with this key.
      identity,
    });
    if (!options.mail) return { state };
    try {
      return { state, mailbox: await RedisMailbox.connect(options.store.url, options.mail) };
    } catch (error) {
      await state.close();
      throw error;
    }
  }
  const { database, migration } = await openDirectoryDatabase(options.dataDir);
  if (migration.imported.length > 0) {
    log.event("migrated", {
      files: migration.imported.join(","),
      into: DATABASE_FILE,
      bindings: migration.bindings,
      prekeys: migration.prekeys,
      mail: migration.mail,
    });
  }
  for (const path of migration.ignored) {
    log.event("warning", {
      problem: "legacy-file",
      action:
        `${path} was imported into ${DATABASE_FILE} before and is not read; move it away to silence this`,
    });
  }
  const store = new SqliteNameStore(database);
  return options.mail ? { store, mailbox: new SqliteMailbox(database, options.mail.ttlMs) } : {
    store,
  };
}

/** The metrics endpoint for the server `current()` gives once it runs; ListenError when it cannot listen. */
function openMetrics(
  address: { hostname: string; port: number },
  current: () => DirectoryServer | undefined,
): ReturnType<typeof serveMetrics> {
  try {
    return serveMetrics(
      address,
      () => {
        const server = current();
        if (!server) return "";
        return server.metrics.render(
          {
            usersOnline: server.state.localCount,
            directoryUsersOnline: server.state.totalCount,
            storeUp: server.state.storeUp,
            storeErrors: server.state.storeErrors,
          },
          server.relay,
          server.capacity,
        );
      },
      () => current()?.state.storeUp ?? false,
    );
  } catch (error) {
    throw listenFailure("metrics", address, error);
  }
}

function isWildcard(hostname: string): boolean {
  return hostname === "0.0.0.0" || hostname === "::" || hostname === "[::]";
}
