/**
 * The key-transparency log's read-only answers (docs/protocol.md §15.4),
 * computed from a sealed state and the nodes and entries the store keeps:
 * consistency proofs, pages of entries, a name's history with inclusion
 * proofs. Anyone may ask them; they change nothing.
 *
 * @module
 */
import { DirectoryError, MAX_HISTORY_ENTRIES, MAX_LOG_ENTRIES } from "../../protocol/mod.ts";
import {
  consistencyPath,
  encodeHashes,
  type Hash,
  inclusionPath,
  leafHash,
  nodesFor,
  type PerfectHash,
  toWireBase64,
} from "../../transparency/mod.ts";
import type { LogState } from "./log_state.ts";
import type { LogBackend } from "./log_store.ts";

/** A page of one name's history. */
export type HistoryPage = {
  readonly checkpoint: string;
  readonly entries: { index: number; entry: string; proof: string }[];
  readonly more: boolean;
};

/** The `log-range` refusal: `why` the sizes asked are not in the log. */
export function outOfRange(why: string): DirectoryError {
  return new DirectoryError(
    "log-range",
    `Not in the log: ${why}; ask for sizes up to the checkpoint's`,
  );
}

/** The consistency proof between sizes `from` ≤ `to` (both sealed), as it travels. */
export async function consistencyProof(
  backend: LogBackend,
  from: number,
  to: number,
): Promise<string> {
  const perfect = await reader(backend, nodesFor((p) => consistencyPath(from, to, p)));
  return encodeHashes(consistencyPath(from, to, perfect));
}

/** Entries `from` onward in `state` (at most `count`, MAX_LOG_ENTRIES), with its checkpoint. */
export async function entriesPage(
  backend: LogBackend,
  state: LogState,
  from: number,
  count: number,
): Promise<{ checkpoint: string; entries: string[] }> {
  const to = Math.min(state.size, from + Math.min(count, MAX_LOG_ENTRIES));
  const bytes = to > from ? await backend.entries(from, to) : [];
  return { checkpoint: state.wire, entries: bytes.map(toWireBase64) };
}

/**
 * The folded `name`'s entries in `state` from index `from` on (at most
 * MAX_HISTORY_ENTRIES), each with its inclusion proof in the state's checkpoint.
 */
export async function historyPage(
  backend: LogBackend,
  state: LogState,
  name: string,
  from: number,
): Promise<HistoryPage> {
  const indices = state.historyOf(name).filter((index) => index >= from);
  const shown = indices.slice(0, MAX_HISTORY_ENTRIES);
  const paths = (p: PerfectHash) => shown.map((index) => inclusionPath(index, state.size, p));
  const perfect = await reader(backend, nodesFor(paths));
  const bytes = await backend.entriesAt(shown);
  const entries = shown.map((index, i) => ({
    index,
    entry: toWireBase64(bytes[i]),
    proof: encodeHashes(inclusionPath(index, state.size, perfect)),
  }));
  return { checkpoint: state.wire, entries, more: indices.length > shown.length };
}

/** A getter over the nodes `ids` (level 0 read as entries), read from the store at once. */
async function reader(backend: LogBackend, ids: [number, number][]): Promise<PerfectHash> {
  const known = new Map<string, Hash>();
  const leaves = ids.filter(([level]) => level === 0).map(([, index]) => index);
  const inner = ids.filter(([level]) => level > 0);
  const [hashes, bytes] = await Promise.all([backend.nodes(inner), backend.entriesAt(leaves)]);
  inner.forEach(([level, index], i) => known.set(`${level}/${index}`, hashes[i]));
  leaves.forEach((index, i) => known.set(`0/${index}`, leafHash(bytes[i])));
  return (level, index) => {
    const hash = known.get(`${level}/${index}`);
    if (!hash) throw new RangeError(`The store holds no node ${level}/${index}`);
    return hash;
  };
}
