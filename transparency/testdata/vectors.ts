/**
 * Known-answer vectors for the parts of key transparency no standard covers
 * (docs/protocol.md, Appendix B): five log entries (three binds, a lapse and
 * a second bind of the same name) byte by byte, the binding map they leave
 * (each value, leaf and the root), proofs of presence and absence as they
 * travel, an inclusion and a consistency proof, and a checkpoint over both
 * roots signed by a fixed directory key. `deno task vectors` prints them;
 * `transparency/checkpoint_test.ts` checks that the stored JSON matches what
 * the code produces.
 *
 * @module
 */
import { fromHex, Identity, toHex } from "../../crypto/mod.ts";
import {
  BindingMap,
  checkpointBody,
  encodeBindingProof,
  encodeCheckpoint,
  encodeEntry,
  encodeHashes,
  encodeValue,
  leafHash,
  type LogEntry,
  mapLeafHash,
  mapPath,
  MemoryLog,
  signCheckpoint,
  valueOf,
} from "../mod.ts";

/** The fixed inputs: a directory seed, the log's entries, a name never bound, a time. */
export const INPUTS = {
  directory_seed: "0303030303030303030303030303030303030303030303030303030303030303",
  entries: [
    ["bind", "alice", "a1".repeat(32), 1],
    ["bind", "bob", "b0".repeat(32), 1],
    ["bind", "carol", "c0".repeat(32), 1],
    ["lapse", "carol", "c0".repeat(32), 1],
    ["bind", "carol", "c1".repeat(32), 2],
  ] as ["bind" | "lapse", string, string, number][],
  absent: "dave",
  time: 1_796_000_000_000,
} as const;

/** Every output, as hex (proofs as they travel: base64). */
export function computeVectors(): Record<string, string | number | string[]> {
  const map = new BindingMap();
  const log = new MemoryLog();
  const out: Record<string, string | number | string[]> = {};
  INPUTS.entries.forEach(([kind, name, key, count], i) => {
    const entry: LogEntry = { kind, name, key: fromHex(key), time: INPUTS.time + i, count };
    const bytes = encodeEntry(entry);
    log.append(leafHash(bytes));
    map.set(mapPath(name), encodeValue(valueOf(entry)));
    out[`entry_${i}`] = toHex(bytes);
    out[`leaf_${i}`] = toHex(leafHash(bytes));
  });
  for (const name of ["alice", "bob", "carol"]) {
    const path = mapPath(name);
    out[`map_path_${name}`] = toHex(path);
    out[`map_value_${name}`] = toHex(map.get(path)!);
    out[`map_leaf_${name}`] = toHex(mapLeafHash(path, map.get(path)!));
  }
  out.map_root = toHex(map.root());
  out.log_root = toHex(log.root());
  out.log_size = log.size;
  const bob = map.prove(mapPath("bob"));
  out.map_proof_bob_siblings = bob.siblings.map(toHex);
  out.map_proof_bob_terminal = bob.terminal.kind;
  out.binding_proof_bob = encodeBindingProof({
    value: { state: "bound", count: 1, key: fromHex(INPUTS.entries[1][2]) },
    proof: bob,
  });
  const dave = map.prove(mapPath(INPUTS.absent));
  out.map_proof_dave_siblings = dave.siblings.map(toHex);
  out.map_proof_dave_terminal = dave.terminal.kind;
  out.binding_proof_dave = encodeBindingProof({ value: null, proof: dave });
  out.inclusion_3_of_5 = encodeHashes(log.inclusionProof(3, 5));
  out.consistency_3_to_5 = encodeHashes(log.consistencyProof(3, 5));
  const directory = Identity.fromSeed(fromHex(INPUTS.directory_seed));
  const fields = { size: log.size, logRoot: log.root(), mapRoot: map.root(), time: INPUTS.time };
  out.directory_key = toHex(directory.public.key);
  out.checkpoint_body = toHex(checkpointBody(directory.public.key, fields));
  const signed = signCheckpoint(directory, fields);
  out.checkpoint_signature = toHex(signed.signature);
  out.checkpoint_wire = encodeCheckpoint(signed);
  return out;
}

if (import.meta.main) console.log(JSON.stringify(computeVectors(), null, 2));
