/**
 * What an audit keeps between runs, per directory (docs/protocol.md §15.8):
 * the size it verified up to, the log's right edge at that size (so the
 * next run checks only the entries added since) and every name's value
 * (so the map root can be recomputed). A private JSON file in `audit/` of
 * the data directory, named for the directory's fingerprint:
 *
 *     { "size": 1234, "edge": [[level, index, "<hex>"], …],
 *       "names": { "bob": ["bound", 2, "<key, base64>"], … } }
 *
 * @module
 */
import { join } from "node:path";
import { fromBase64, fromHex, toBase64, toHex } from "../../crypto/mod.ts";
import {
  ensurePrivateDir,
  readPrivateFile,
  StorageError,
  writePrivateFile,
} from "../../storage/mod.ts";
import { LogFrontier, type MapValue } from "../../transparency/mod.ts";

/** The folder of audit states in the data directory. */
export const AUDIT_DIR = "audit";

/** Where the log was verified up to: its edge there, and every name's value. */
export type AuditState = {
  readonly edge: LogFrontier;
  readonly names: Map<string, MapValue>;
};

/** The path of the state of the directory with `fingerprint` under `home`. */
export function auditStatePath(home: string, fingerprint: string): string {
  return join(home, AUDIT_DIR, `${fingerprint}.json`);
}

/** A state of nothing verified yet. */
export function emptyAuditState(): AuditState {
  return { edge: new LogFrontier(), names: new Map() };
}

/** The state at `path` (missing: nothing verified yet); StorageError `malformed` otherwise. */
export async function loadAuditState(path: string): Promise<AuditState> {
  const bytes = await readPrivateFile(path);
  if (bytes === null) return emptyAuditState();
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes));
    const edge = (parsed.edge as [number, number, string][]).map(([level, index, hash]) => {
      if (!Number.isInteger(level) || !Number.isInteger(index) || !/^[0-9a-f]{64}$/.test(hash)) {
        throw new TypeError("a node of the edge is malformed");
      }
      return { level, index, hash: fromHex(hash) };
    });
    const names = new Map<string, MapValue>();
    for (
      const [name, [state, count, key]] of Object.entries(
        parsed.names as Record<string, [string, number, string]>,
      )
    ) {
      if ((state !== "bound" && state !== "lapsed") || !Number.isInteger(count)) {
        throw new TypeError(`the value of ${name} is malformed`);
      }
      names.set(name, { state, count, key: fromBase64(key) });
    }
    if (
      !Number.isSafeInteger(parsed.size) || LogFrontier.nodesOf(parsed.size).length !== edge.length
    ) {
      throw new TypeError("its size does not go with its edge");
    }
    return { edge: new LogFrontier(parsed.size, edge), names };
  } catch (cause) {
    throw new StorageError(
      "malformed",
      path,
      `Cannot read ${path}: ${
        (cause as Error).message
      }; remove it (the next audit verifies the whole log)`,
      { cause },
    );
  }
}

/** Writes `state` to `path` (0600, atomically). */
export async function saveAuditState(path: string, state: AuditState): Promise<void> {
  await ensurePrivateDir(join(path, ".."));
  const names: Record<string, [string, number, string]> = {};
  for (const [name, value] of [...state.names].sort(([a], [b]) => (a < b ? -1 : 1))) {
    names[name] = [value.state, value.count, toBase64(value.key)];
  }
  const body = {
    size: state.edge.size,
    edge: state.edge.edge.map((node) => [node.level, node.index, toHex(node.hash)]),
    names,
  };
  await writePrivateFile(path, JSON.stringify(body) + "\n");
}
