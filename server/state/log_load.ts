/**
 * Loading the key-transparency log at start (docs/protocol.md §15.5): every
 * sealed entry is read and replayed into the binding map, and the log's
 * right edge is read from the stored nodes; a log whose roots do not come
 * out as its checkpoint says (an altered store) is reported, and served as
 * it is: clients refuse what it proves.
 *
 * @module
 */
import { leafHash, LogFrontier, signCheckpoint, verifyCheckpoint } from "../../transparency/mod.ts";
import type { KeyLogOptions } from "./key_log.ts";
import type { LogBackend } from "./log_store.ts";
import { LogState } from "./log_state.ts";

/** Entries read from the store per request when loading or catching up. */
export const READ_CHUNK = 4_096;

/** The sealed state of the log in `backend`, and how many entries are appended. */
export async function loadLog(
  backend: LogBackend,
  options: KeyLogOptions,
): Promise<{ state: LogState; appended: number }> {
  const stored = await backend.read();
  const checkpoint = stored.checkpoint ??
    signCheckpoint(options.signer, { size: 0, ...LogState.EMPTY_ROOTS, time: options.clock() });
  if (checkpoint.size === 0) {
    return { state: LogState.empty(checkpoint), appended: stored.appended };
  }
  const entries: Uint8Array[] = [];
  for (let from = 0; from < checkpoint.size; from += READ_CHUNK) {
    entries.push(...await backend.entries(from, Math.min(checkpoint.size, from + READ_CHUNK)));
  }
  const ids = LogFrontier.nodesOf(checkpoint.size);
  const inner = await backend.nodes(ids.filter(([level]) => level > 0));
  let next = 0;
  const edge = new LogFrontier(
    checkpoint.size,
    ids.map(([level, index]) => ({
      level,
      index,
      hash: level === 0 ? leafHash(entries[index]) : inner[next++],
    })),
  );
  const { state, matches, faults } = LogState.replay(checkpoint, entries, edge);
  for (const { index, fault } of faults) options.event?.("transparency-fault", { index, fault });
  if (!matches || !verifyCheckpoint(options.signer.public, checkpoint)) {
    options.event?.("transparency-mismatch", { size: checkpoint.size });
  }
  return { state, appended: Math.max(stored.appended, checkpoint.size) };
}
