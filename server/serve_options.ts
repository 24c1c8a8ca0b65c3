/**
 * Turns `serve`'s raw flags into typed options (pure, unit-tested).
 *
 * @module
 */
import { DEFAULT_MAX_HANDSHAKES } from "./capacity_gate.ts";
import { join } from "node:path";
import { type FlagValues, UsageError } from "../cli/mod.ts";
import {
  formatDuration,
  formatSize,
  parseChoice,
  parseDuration,
  parseHostPort,
  parseInteger,
  parseSize,
} from "../cli/mod.ts";
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from "../crypto/mod.ts";
import type { ServerSettings } from "./server.ts";
import { DEFAULT_STARTUP_LIMITS, type StartupLimits } from "../admission/mod.ts";
import type { LogFormat } from "./ops/mod.ts";
import { DEFAULT_NAME_TTL_MS } from "./state/mod.ts";
import { DEFAULT_MAIL_TTL_MS } from "./mail/mod.ts";
import { type HomeEnv, resolveDataDir } from "../storage/mod.ts";

/** The default directory port. */
export const DEFAULT_PORT = 7447;
/** Connections one address may hold by default. */
export const DEFAULT_MAX_PER_ADDRESS = 64;
/** Registrations per second one address may make by default. */
export const DEFAULT_REGISTER_RATE = 10;
/** A silent client is dropped after this long by default: three heartbeats missed (30 s each). */
export const DEFAULT_IDLE_TIMEOUT_MS = 90_000;
/** Relayed chats open (or offered) at once by default. */
export const DEFAULT_RELAY_MAX_SESSIONS = 1000;
/** Relayed chats one user may have by default. */
export const DEFAULT_RELAY_MAX_PER_CLIENT = 4;
/** Bytes one relayed chat may carry by default, both directions together. */
export const DEFAULT_RELAY_MAX_BYTES = 64 * 1024 ** 2;
/** How long a relay token waits for both peers to join. */
export const RELAY_TOKEN_TTL_MS = 15_000;

/** `serve`'s flags, declared once: parsing and help come from this. */
export const serveFlags = {
  host: { type: "string", value: "HOST", default: "0.0.0.0", description: "address to listen on" },
  port: {
    type: "string",
    value: "PORT",
    default: String(DEFAULT_PORT),
    description: "port to listen on (0: any free port)",
  },
  data: {
    type: "string",
    value: "DIR",
    description: "server data: identity and name store (else <home>/server)",
  },
  home: {
    type: "string",
    value: "DIR",
    description: "p2pchat home (else $P2PCHAT_HOME, $XDG_CONFIG_HOME/p2pchat, ~/.config/p2pchat)",
  },
  "max-clients": {
    type: "string",
    value: "N",
    description: "connections served at once (else 256 below the descriptor limit)",
  },
  "max-per-address": {
    type: "string",
    value: "N",
    default: String(DEFAULT_MAX_PER_ADDRESS),
    description: "connections from one address (0: no cap)",
  },
  "register-rate": {
    type: "string",
    value: "N",
    default: String(DEFAULT_REGISTER_RATE),
    description: "registrations per second per address (0: no limit)",
  },
  "name-ttl": {
    type: "string",
    value: "DURATION",
    default: formatDuration(DEFAULT_NAME_TTL_MS),
    description: "how long an unused name stays bound to its key",
  },
  "idle-timeout": {
    type: "string",
    value: "DURATION",
    default: formatDuration(DEFAULT_IDLE_TIMEOUT_MS),
    description: "drop clients silent for this long",
  },
  "handshake-timeout": {
    type: "string",
    value: "DURATION",
    default: formatDuration(DEFAULT_HANDSHAKE_TIMEOUT_MS),
    description: "drop connections whose handshake takes longer",
  },
  "max-startups": {
    type: "string",
    value: "START:RATE:FULL",
    default:
      `${DEFAULT_STARTUP_LIMITS.start}:${DEFAULT_STARTUP_LIMITS.rate}:${DEFAULT_STARTUP_LIMITS.full}`,
    description:
      "handshakes in progress: from START on, RATE percent of new connections are dropped at random, rising to all at FULL",
  },
  "max-handshakes": {
    type: "string",
    value: "N",
    default: String(DEFAULT_MAX_HANDSHAKES),
    description:
      "most handshakes run at once, however fast they finish; beyond what finishes in a quarter of --handshake-timeout newcomers are told Busy",
  },
  "per-source-startups": {
    type: "string",
    value: "N",
    default: String(DEFAULT_STARTUP_LIMITS.perSource),
    description: "handshakes in progress from one address (IPv6: one /64); 0: no cap",
  },
  metrics: {
    type: "string",
    value: "HOST:PORT",
    description: "serve Prometheus /metrics and /healthz here",
  },
  mail: {
    type: "string",
    value: "on|off",
    default: "on",
    description: "hold sealed messages for users who are offline",
  },
  "mail-ttl": {
    type: "string",
    value: "DURATION",
    default: formatDuration(DEFAULT_MAIL_TTL_MS),
    description: "how long a message for an offline user is held",
  },
  relay: {
    type: "string",
    value: "on|off",
    default: "on",
    description: "relay chats between peers that cannot reach each other",
  },
  "relay-max-sessions": {
    type: "string",
    value: "N",
    default: String(DEFAULT_RELAY_MAX_SESSIONS),
    description: "relayed chats open at once",
  },
  "relay-max-per-client": {
    type: "string",
    value: "N",
    default: String(DEFAULT_RELAY_MAX_PER_CLIENT),
    description: "relayed chats one user may have open",
  },
  "relay-max-bytes": {
    type: "string",
    value: "SIZE",
    default: formatSize(DEFAULT_RELAY_MAX_BYTES),
    description: "bytes one relayed chat may carry",
  },
  store: {
    type: "string",
    value: "sqlite|URL",
    description:
      "where bindings and presence live: sqlite (one process) or redis://[user:pass@]HOST:PORT[/DB] (rediss:// for TLS) shared by several instances (else $P2PCHAT_STORE, else sqlite)",
  },
  advertise: {
    type: "string",
    value: "HOST:PORT",
    description:
      "where users of other instances reach this one to join a relayed chat (else where it listens)",
  },
  identity: {
    type: "string",
    value: "FILE",
    description:
      "the server's identity key (must exist; every instance of one directory uses the same), else <data>/identity.key, made on first start",
  },
  log: {
    type: "string",
    value: "text|json",
    default: "text",
    description: "log line format (stderr)",
  },
} as const;

/** Where the directory keeps bindings and presence. */
export type StoreChoice = { kind: "sqlite" } | { kind: "redis"; url: string };

/** The environment `serve` reads: the home variables and $P2PCHAT_STORE. */
export type ServeEnv = HomeEnv & { P2PCHAT_STORE?: string };

/** Typed `serve` options: the server's settings, plus where its data and metrics go. */
export type ServeOptions = ServerSettings & {
  dataDir: string;
  /** Holding mail for offline users, and for how long; undefined with --mail off. */
  mail?: { ttlMs: number };
  store: StoreChoice;
  /** `HOST:PORT` given with --advertise, if any. */
  advertise?: string;
  /** --identity, if given (it must exist). */
  identityFile?: string;
  metrics?: { hostname: string; port: number };
  log: LogFormat;
};

/** `START:RATE:FULL`, as OpenSSH's MaxStartups: 0 <= START <= FULL, RATE a percentage. */
function parseStartups(text: string): Omit<StartupLimits, "perSource"> {
  const parts = text.split(":");
  const [start, rate, full] = parts.map((part) => Number(part));
  if (
    parts.length !== 3 || !parts.every((p) => /^\d+$/.test(p)) || start > full || rate > 100 ||
    full < 1
  ) {
    throw new UsageError(
      `--max-startups must be START:RATE:FULL with START <= FULL and RATE from 0 to 100 (e.g. 512:30:1024), got "${text}"`,
    );
  }
  return { start, rate, full };
}

/** `sqlite`, or a `redis://` / `rediss://` URL; `source` names where the text came from. */
export function parseStore(source: string, text: string): StoreChoice {
  if (text === "sqlite") return { kind: "sqlite" };
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    // Reported below with the rule.
  }
  if (!url || !["redis:", "rediss:"].includes(url.protocol) || !url.hostname) {
    throw new UsageError(
      `${source} must be sqlite or redis://[user:pass@]HOST:PORT[/DB] (rediss:// for TLS), got "${
        text.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@")
      }"`,
    );
  }
  if (url.pathname !== "" && url.pathname !== "/" && !/^\/\d+$/.test(url.pathname)) {
    throw new UsageError(
      `${source}: the Redis database must be a number, as in redis://HOST:6379/0`,
    );
  }
  return { kind: "redis", url: text };
}

/** Validates flags; throws UsageError naming the flag at fault. */
export function parseServeOptions(
  values: FlagValues<typeof serveFlags>,
  env: ServeEnv,
  defaultMaxClients: number,
): ServeOptions {
  const advertise = values.advertise === undefined
    ? undefined
    : parseHostPort("advertise", values.advertise, "");
  if (advertise && (!advertise.hostname || advertise.port === 0)) {
    throw new UsageError(
      `--advertise must name a host and a port other users can reach (e.g. dir1.example.org:7447), got "${values.advertise}"`,
    );
  }
  return {
    hostname: values.host,
    port: parseInteger("port", values.port, 0, 65535),
    dataDir: values.data ?? join(resolveDataDir(values.home, env), "server"),
    store: values.store !== undefined
      ? parseStore("--store", values.store)
      : env.P2PCHAT_STORE
      ? parseStore("$P2PCHAT_STORE", env.P2PCHAT_STORE)
      : { kind: "sqlite" },
    ...(advertise ? { advertise: values.advertise } : {}),
    ...(values.identity !== undefined ? { identityFile: values.identity } : {}),
    maxClients: values["max-clients"] === undefined
      ? defaultMaxClients
      : parseInteger("max-clients", values["max-clients"], 1, 10_000_000),
    maxPerAddress: parseInteger("max-per-address", values["max-per-address"], 0, 10_000_000),
    registerRate: parseInteger("register-rate", values["register-rate"], 0, 1_000_000),
    nameTtlMs: parseDuration("name-ttl", values["name-ttl"]),
    idleTimeoutMs: parseDuration("idle-timeout", values["idle-timeout"]),
    handshakeTimeoutMs: parseDuration("handshake-timeout", values["handshake-timeout"]),
    maxHandshakes: parseInteger("max-handshakes", values["max-handshakes"], 1, 1_000_000),
    startups: {
      ...parseStartups(values["max-startups"]),
      perSource: parseInteger("per-source-startups", values["per-source-startups"], 0, 1_000_000),
    },
    metrics: values.metrics === undefined
      ? undefined
      : parseHostPort("metrics", values.metrics, "127.0.0.1"),
    log: parseChoice("log", values.log, ["text", "json"] as const),
    mail: parseChoice("mail", values.mail, ["on", "off"] as const) === "on"
      ? { ttlMs: parseDuration("mail-ttl", values["mail-ttl"]) }
      : undefined,
    relay: {
      enabled: parseChoice("relay", values.relay, ["on", "off"] as const) === "on",
      maxSessions: parseInteger("relay-max-sessions", values["relay-max-sessions"], 1, 1_000_000),
      maxPerClient: parseInteger("relay-max-per-client", values["relay-max-per-client"], 1, 1000),
      maxBytes: parseSize("relay-max-bytes", values["relay-max-bytes"]),
      tokenTtlMs: RELAY_TOKEN_TTL_MS,
    },
  };
}
