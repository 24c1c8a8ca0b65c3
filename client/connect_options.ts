/**
 * Turns `connect`'s raw flags into typed options (pure, unit-tested). Every
 * value is checked here, before any file or network is touched: a bad one is
 * a UsageError (exit 2) naming the flag and the right form.
 *
 * @module
 */
import { type FlagValues, UsageError } from "../cli/mod.ts";
import { parseChoice, parseHostPort, parseServerList, parseSize } from "../cli/mod.ts";
import { join, resolve } from "node:path";
import { type Fingerprint, parseFingerprint } from "../crypto/mod.ts";
import { InvalidNameError, type Name, parseName } from "../protocol/mod.ts";
import { type HomeEnv, resolveDataDir } from "../storage/mod.ts";

/** The directory's port when `--server` names none. */
export const DEFAULT_SERVER_PORT = 7447;
/** Where clients look for the directory when neither --server nor $P2PCHAT_SERVER says. */
export const DEFAULT_SERVER = "127.0.0.1";

/** When chats go through the directory's relay. */
export type RelayMode = "never" | "auto" | "always";

/** `connect`'s flags, declared once. */
export const connectFlags = {
  name: {
    type: "string",
    value: "NAME",
    description:
      "the name to register: 1-32 of A-Z a-z 0-9 _ - ., starting and ending with a letter or digit (asked for when missing, in a terminal)",
  },
  server: {
    type: "string",
    value: "HOST[:PORT],…",
    description:
      `the directory; several instances of one directory separated by commas, tried in order (else $P2PCHAT_SERVER, else ${DEFAULT_SERVER}; port ${DEFAULT_SERVER_PORT} unless given)`,
  },
  listen: {
    type: "string",
    value: "HOST:PORT",
    default: "0.0.0.0:0",
    description: "where to accept peer chats (port 0: any free port)",
  },
  home: {
    type: "string",
    value: "DIR",
    description:
      "the data directory: your identity and pinned keys (else $P2PCHAT_HOME, else $XDG_CONFIG_HOME/p2pchat, else ~/.config/p2pchat)",
  },
  json: {
    type: "boolean",
    description: "one JSON event per line on stdout; commands on stdin (docs/cli.md)",
  },
  "auto-accept": { type: "boolean", description: "accept every chat request without asking" },
  "server-key": {
    type: "string",
    value: "FINGERPRINT",
    description: "refuse the directory unless it proves this key",
  },
  relay: {
    type: "string",
    value: "never|auto|always",
    default: "auto",
    description:
      "meet through the directory's relay: never, when a direct connection fails, or always",
  },
  // Hole punching (docs/protocol.md §11.2).
  punch: {
    type: "string",
    value: "on|off",
    default: "on",
    description:
      "punch a direct path through both NATs for a relayed chat (from the directory connection's port)",
  },
  // Files (issue 23):
  downloads: {
    type: "string",
    value: "DIR",
    description:
      "where received files go (else $XDG_DOWNLOAD_DIR/p2pchat, else ~/Downloads/p2pchat; created 0700)",
  },
  "max-file-size": {
    type: "string",
    value: "SIZE",
    default: "4G",
    description: "larger files offered to you are refused before any data moves (K, M, G)",
  },
} as const;

/** Files (issue 23): what the downloads directory depends on. */
export type DownloadsEnv = { XDG_DOWNLOAD_DIR?: string; HOME?: string; USERPROFILE?: string };

/** Files (issue 23): `--downloads`, else $XDG_DOWNLOAD_DIR/p2pchat, else ~/Downloads/p2pchat. */
export function resolveDownloads(flag: string | undefined, env: DownloadsEnv): string {
  if (flag) return flag;
  if (env.XDG_DOWNLOAD_DIR) return join(env.XDG_DOWNLOAD_DIR, "p2pchat");
  const home = env.HOME ?? env.USERPROFILE;
  if (home) return join(home, "Downloads", "p2pchat");
  throw new UsageError("Cannot find a downloads directory: pass --downloads DIR");
}

/** Typed `connect` options. */
export type ConnectOptions = {
  /** Undefined when the user is to be asked. */
  name?: Name;
  /** Instances of one directory, in the order they are tried. */
  servers: { hostname: string; port: number }[];
  listen: { hostname: string; port: number };
  home: string;
  json: boolean;
  autoAccept: boolean;
  serverKey?: Fingerprint;
  relay: RelayMode;
  /** Hole punching: `--punch on|off`. */
  punch: boolean;
  // Files (issue 23):
  /** Where received files go. */
  downloads: string;
  /** Offers larger than this are refused. */
  maxFileSize: number;
};

/** Validates flags; throws UsageError naming the flag at fault. */
export function parseConnectOptions(
  values: FlagValues<typeof connectFlags>,
  env: HomeEnv & DownloadsEnv & { P2PCHAT_SERVER?: string },
): ConnectOptions {
  let serverKey: Fingerprint | undefined;
  if (values["server-key"] !== undefined) {
    const parsed = parseFingerprint(values["server-key"]);
    if (!parsed) {
      throw new UsageError(
        "--server-key must be a fingerprint: 64 hex digits, spaces and colons allowed",
      );
    }
    serverKey = parsed;
  }
  let name: Name | undefined;
  if (values.name !== undefined) {
    try {
      name = parseName(values.name);
    } catch (error) {
      if (!(error instanceof InvalidNameError)) throw error;
      throw new UsageError(`--name: ${error.message}`);
    }
  }
  const [serverFlag, serverText] = values.server !== undefined
    ? ["--server", values.server]
    : env.P2PCHAT_SERVER
    ? ["$P2PCHAT_SERVER", env.P2PCHAT_SERVER]
    : ["--server", DEFAULT_SERVER];
  return {
    name,
    servers: parseServerList(serverFlag, serverText, DEFAULT_SERVER_PORT),
    listen: parseHostPort("listen", values.listen, "0.0.0.0"),
    home: resolveDataDir(values.home, env),
    json: values.json,
    autoAccept: values["auto-accept"],
    serverKey,
    relay: parseChoice("relay", values.relay, ["never", "auto", "always"] as const),
    punch: parseChoice("punch", values.punch, ["on", "off"] as const) === "on",
    // Files (issue 23):
    downloads: resolve(resolveDownloads(values.downloads, env)),
    maxFileSize: parseSize("max-file-size", values["max-file-size"]),
  };
}
