/**
 * Turns `connect`'s raw flags into typed options (pure, unit-tested).
 *
 * @module
 */
import { type FlagValues, UsageError } from "../cli/command.ts";
import { parseChoice, parseHostPort } from "../cli/values.ts";
import { type Fingerprint, parseFingerprint } from "../crypto/mod.ts";
import { type HomeEnv, resolveDataDir } from "../storage/data_dir.ts";

/** Where clients look for the directory when neither --server nor $P2PCHAT_SERVER says. */
export const DEFAULT_SERVER = "127.0.0.1:7447";

/** `connect`'s flags, declared once. */
export const connectFlags = {
  name: {
    type: "string",
    value: "NAME",
    description: "the name to register (1-32 of A-Z a-z 0-9 _ - .)",
  },
  server: {
    type: "string",
    value: "HOST:PORT",
    description: `directory server (else $P2PCHAT_SERVER, else ${DEFAULT_SERVER})`,
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
    description: "data directory (else $P2PCHAT_HOME, $XDG_CONFIG_HOME/p2pchat, ~/.config/p2pchat)",
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
} as const;

/** Typed `connect` options. */
export type ConnectOptions = {
  name?: string;
  server: { hostname: string; port: number };
  listen: { hostname: string; port: number };
  home: string;
  json: boolean;
  autoAccept: boolean;
  serverKey?: Fingerprint;
  relay: RelayMode;
};

/** When chats go through the directory's relay. */
export type RelayMode = "never" | "auto" | "always";

/** Validates flags; throws UsageError naming the flag at fault. */
export function parseConnectOptions(
  values: FlagValues<typeof connectFlags>,
  env: HomeEnv & { P2PCHAT_SERVER?: string },
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
  const server = values.server ?? env.P2PCHAT_SERVER ?? DEFAULT_SERVER;
  return {
    name: values.name,
    server: parseHostPort(
      values.server ? "server" : "server ($P2PCHAT_SERVER)",
      server,
      "127.0.0.1",
    ),
    listen: parseHostPort("listen", values.listen, "0.0.0.0"),
    home: resolveDataDir(values.home, env),
    json: values.json,
    autoAccept: values["auto-accept"],
    serverKey,
    relay: parseChoice("relay", values.relay, ["never", "auto", "always"] as const),
  };
}
