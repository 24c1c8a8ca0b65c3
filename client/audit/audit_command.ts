/**
 * `p2pchat audit`: checks a directory's key-transparency log (docs/protocol.md
 * §15.8) against the checkpoints this data directory kept, verifies every
 * entry added since the last audit (or the whole log), and prints a name's
 * binding history; or checks an evidence file. Exit 0 when everything holds,
 * 1 on any inconsistency (each named) or when the directory cannot be
 * reached, 2 on a usage error: made for cron.
 *
 * The audit connects with a key of the moment, not the user's identity: a
 * directory learns nothing of who audits it.
 *
 * @module
 */
import { join } from "node:path";
import { type Command, UsageError } from "../../cli/mod.ts";
import { Identity } from "../../crypto/mod.ts";
import { ensurePrivateDir, homeEnvFromProcess } from "../../storage/mod.ts";
import {
  connectPinned,
  type DirectoryClient,
  hostPortLabel,
  IDENTIFY_TIMEOUT_MS,
} from "../directory/mod.ts";
import { CheckpointFile, CHECKPOINTS_FILE, PinFile } from "../trust/mod.ts";
import { auditWords, type ErrorEvent, errorWords, evidenceWords } from "../terminal/mod.ts";
import { ClientError, errorEvent } from "../core/mod.ts";
import { auditFlags, type AuditOptions, parseAuditOptions } from "./audit_options.ts";
import { audit } from "./audit_run.ts";
import { auditStatePath, emptyAuditState, loadAuditState, saveAuditState } from "./audit_state.ts";
import { checkEvidence } from "./evidence_check.ts";

/** Pinned directory keys, by `host:port` (the file `connect` pins them in). */
const KNOWN_SERVERS_FILE = "known_servers";
/** Largest evidence file read (a client's are about 2 KiB). */
const MAX_EVIDENCE_BYTES = 64 * 1024;

/** The `audit` subcommand. */
export const auditCommand: Command<typeof auditFlags> = {
  name: "audit",
  summary: "check a directory's key-transparency log against what this data directory saw",
  flags: auditFlags,
  example: "p2pchat audit --server chat.example.org --name alice",
  async run(values): Promise<number> {
    const options = parseAuditOptions(values, homeEnvFromProcess());
    try {
      return await run(options);
    } catch (error) {
      // A client error's facts are worded as the chat client words them; others speak for themselves.
      if (!(error instanceof ClientError)) throw error;
      console.error(errorWords(errorEvent(error) as ErrorEvent));
      return 1;
    }
  },
};

/** One audit (or evidence check) as `options` ask. */
async function run(options: AuditOptions): Promise<number> {
  await ensurePrivateDir(options.home);
  const pins = await PinFile.load(join(options.home, KNOWN_SERVERS_FILE));
  if (options.evidence !== undefined) return await evidence(options, pins);
  const checkpoints = await CheckpointFile.load(join(options.home, CHECKPOINTS_FILE));
  const { client, pinned } = await connect(options, pins);
  try {
    const fingerprint = client.server.fingerprint;
    const statePath = auditStatePath(options.home, fingerprint);
    if (options.forget) {
      await checkpoints.forget(fingerprint);
      await Deno.remove(statePath).catch(() => {}); // Nothing audited yet: nothing to forget.
    }
    const kept = checkpoints.get(fingerprint);
    const state = options.full ? emptyAuditState() : await loadAuditState(statePath);
    const { report, keep } = await audit(client, {
      server: client.server,
      kept: kept?.checkpoint,
      state,
      name: options.name,
    });
    if (keep) {
      await checkpoints.set(fingerprint, {
        ...kept,
        names: kept?.names ?? {},
        checkpoint: keep.checkpoint,
      });
      await saveAuditState(statePath, keep.state);
    }
    const server = hostPortLabel(options.server!);
    if (options.json) {
      const consistent = report.problems.length === 0;
      console.log(
        JSON.stringify({ type: "audit", server, fingerprint, pinned, consistent, ...report }),
      );
    } else {
      for (
        const line of auditWords({ server, fingerprint, pinned, forgot: options.forget, report })
      ) {
        console.log(line);
      }
    }
    return report.problems.length === 0 ? 0 : 1;
  } finally {
    await client.close();
  }
}

/** Connects with a key of the moment, demanding the directory's pinned (or given) key. */
async function connect(
  options: AuditOptions,
  pins: PinFile,
): Promise<{ client: DirectoryClient; pinned: boolean }> {
  return await connectPinned(options.server!, {
    identity: Identity.generate(),
    heartbeatMs: 0,
    identifyWithinMs: IDENTIFY_TIMEOUT_MS,
  }, { servers: [options.server!], pins, serverKey: options.serverKey });
}

/** `--evidence FILE`: its checkpoints checked, and reconciled through the directory if one is given. */
async function evidence(options: AuditOptions, pins: PinFile): Promise<number> {
  const size = (await Deno.stat(options.evidence!)).size;
  if (size > MAX_EVIDENCE_BYTES) {
    throw new UsageError(
      `--evidence: ${options.evidence} is ${size} bytes, not an evidence file`,
      "audit",
    );
  }
  const text = await Deno.readTextFile(options.evidence!);
  const connected = options.server ? await connect(options, pins) : undefined;
  try {
    const report = await checkEvidence(text, {
      pinned: (server) => pins.get(server)?.fingerprint,
      ask: connected && ((from, to) => connected.client.logConsistency(from, to)),
    });
    if (options.json) {
      console.log(JSON.stringify({ type: "evidence", path: options.evidence, ...report }));
    } else for (const line of evidenceWords(options.evidence!, report)) console.log(line);
    return report.verdict.kind === "reconciled" ? 0 : 1;
  } finally {
    await connected?.client.close();
  }
}
