/**
 * Turns `audit`'s raw flags into typed options (pure, unit-tested): a bad
 * value is a UsageError (exit 2) naming the flag and the right form, before
 * any file or network is touched.
 *
 * @module
 */
import { type FlagValues, parseServerList, UsageError } from "../../cli/mod.ts";
import { type Fingerprint, parseFingerprint } from "../../crypto/mod.ts";
import { InvalidNameError, type Name, parseName } from "../../protocol/mod.ts";
import { type HomeEnv, resolveDataDir } from "../../storage/mod.ts";

/** The directory's port when `--server` names none. */
const DEFAULT_PORT = 7447;

/** `audit`'s flags, declared once. */
export const auditFlags = {
  server: {
    type: "string",
    value: "HOST[:PORT]",
    description:
      `the directory to audit (port ${DEFAULT_PORT} unless given); needed but with --evidence`,
  },
  name: {
    type: "string",
    value: "NAME",
    description: "also print this name's binding history, each entry proven in the log",
  },
  json: { type: "boolean", description: "one JSON object on stdout: the whole report" },
  home: {
    type: "string",
    value: "DIR",
    description:
      "the data directory whose kept checkpoints are checked and updated (else $P2PCHAT_HOME, $XDG_CONFIG_HOME/p2pchat, ~/.config/p2pchat)",
  },
  "server-key": {
    type: "string",
    value: "FINGERPRINT",
    description: "refuse the directory unless it proves this key (else the key pinned for it)",
  },
  full: {
    type: "boolean",
    description: "verify the whole log again, not just what was added since the last audit",
  },
  evidence: {
    type: "string",
    value: "FILE",
    description: "check an evidence file a client saved: are its two checkpoints one history?",
  },
  forget: {
    type: "boolean",
    description:
      "forget what this data directory kept of the directory's log (after a rollback its operator explained), then audit",
  },
} as const;

/** Typed `audit` options. */
export type AuditOptions = {
  /** The directory, unless only an evidence file is checked. */
  server?: { hostname: string; port: number };
  name?: Name;
  json: boolean;
  home: string;
  serverKey?: Fingerprint;
  full: boolean;
  evidence?: string;
  forget: boolean;
};

/** Validates flags; throws UsageError naming the flag at fault. */
export function parseAuditOptions(
  values: FlagValues<typeof auditFlags>,
  env: HomeEnv,
): AuditOptions {
  if (values.server === undefined && values.evidence === undefined) {
    throw new UsageError("--server HOST[:PORT] is needed: the directory to audit", "audit");
  }
  let serverKey: Fingerprint | undefined;
  if (values["server-key"] !== undefined) {
    const parsed = parseFingerprint(values["server-key"]);
    if (!parsed) {
      throw new UsageError(
        "--server-key must be a fingerprint: 64 hex digits, spaces and colons allowed",
        "audit",
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
      throw new UsageError(`--name: ${error.message}`, "audit");
    }
  }
  if (values.forget && values.server === undefined) {
    throw new UsageError("--forget needs --server: the directory whose log to forget", "audit");
  }
  const server = values.server === undefined ? undefined : hostPort(values.server);
  return {
    ...(server ? { server } : {}),
    ...(name ? { name } : {}),
    json: values.json,
    home: resolveDataDir(values.home, env),
    ...(serverKey ? { serverKey } : {}),
    full: values.full,
    ...(values.evidence === undefined ? {} : { evidence: values.evidence }),
    forget: values.forget,
  };
}

function hostPort(text: string): { hostname: string; port: number } {
  const servers = parseServerList("--server", text, DEFAULT_PORT);
  if (servers.length !== 1) {
    throw new UsageError("--server names one instance to audit: they all serve one log", "audit");
  }
  return servers[0];
}
