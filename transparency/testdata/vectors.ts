/**
 * Known-answer vectors for the parts of key transparency no standard covers
 * (docs/protocol.md, Appendix B): the binding map's leaf and root hashes and
 * proofs for a fixed set of bindings, a log of the matching entries, and a
 * checkpoint over both signed by a fixed directory key. `deno task vectors`
 * prints them; `transparency/vectors_test.ts` checks that the stored JSON
 * matches what the code produces.
 *
 * @module
 */
import { fromHex, Identity, toHex } from "../../crypto/mod.ts";
import {
  BindingMap,
  checkpointBody,
  leafHash,
  mapLeafHash,
  mapPath,
  MemoryLog,
  signCheckpoint,
} from "../mod.ts";

/** The fixed inputs: a directory seed, names with the keys they are bound to, a time. */
export const INPUTS = {
  directory_seed: "0303030303030303030303030303030303030303030303030303030303030303",
  bindings: [
    ["alice", "a1".repeat(32)],
    ["bob", "b0".repeat(32)],
    ["carol", "c0".repeat(32)],
  ] as [string, string][],
  absent: "dave",
  time: 1_796_000_000_000,
} as const;

/** Every output, as hex. */
export function computeVectors(): Record<string, string | number | string[]> {
  const map = new BindingMap();
  const log = new MemoryLog();
  const out: Record<string, string | number | string[]> = {};
  for (const [name, key] of INPUTS.bindings) {
    const path = mapPath(name);
    map.set(path, fromHex(key));
    log.append(leafHash(new TextEncoder().encode(`${name}=${key}`)));
    out[`map_path_${name}`] = toHex(path);
    out[`map_leaf_${name}`] = toHex(mapLeafHash(path, fromHex(key)));
  }
  out.map_root = toHex(map.root());
  out.log_root = toHex(log.root());
  out.log_size = log.size;
  const bob = map.prove(mapPath("bob"));
  out.map_proof_bob_siblings = bob.siblings.map(toHex);
  out.map_proof_bob_terminal = bob.terminal.kind;
  const dave = map.prove(mapPath(INPUTS.absent));
  out.map_proof_dave_siblings = dave.siblings.map(toHex);
  out.map_proof_dave_terminal = dave.terminal.kind;
  const directory = Identity.fromSeed(fromHex(INPUTS.directory_seed));
  const fields = { size: log.size, logRoot: log.root(), mapRoot: map.root(), time: INPUTS.time };
  out.directory_key = toHex(directory.public.key);
  out.checkpoint_body = toHex(checkpointBody(directory.public.key, fields));
  out.checkpoint_signature = toHex(signCheckpoint(directory, fields).signature);
  return out;
}

if (import.meta.main) console.log(JSON.stringify(computeVectors(), null, 2));
