import fc from "fast-check";
import { assert, assertEquals } from "../tests/assert.ts";
import { fromBase64, fromHex, toHex } from "../crypto/mod.ts";
import {
  consistencyPath,
  EMPTY_ROOT,
  type Hash,
  inclusionPath,
  leafHash,
  MemoryLog,
  nodesFor,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from "./merkle_log.ts";

const ct = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/rfc6962_ct.json", import.meta.url)),
);
const cctv = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/cctv.json", import.meta.url)),
);

/** The CT reference log: its eight leaves appended in order. */
function ctLog(): MemoryLog {
  const log = new MemoryLog();
  for (const leaf of ct.leaves as string[]) log.append(leafHash(fromHex(leaf)));
  return log;
}

const hexes = (hashes: Hash[]): string[] => hashes.map(toHex);
const someHash = fromHex("abacaba000000000000000000000000000000000000000000060061e00123456");

/** Each way a valid inclusion proof can be broken (after CT's corruptInclusionProof). */
function brokenInclusion(leaf: Hash, index: number, size: number, proof: Hash[], root: Hash) {
  const probes: [string, () => boolean][] = [
    ["index - 1", () => verifyInclusion(leaf, index - 1, size, proof, root)],
    ["index + 1", () => verifyInclusion(leaf, index + 1, size, proof, root)],
    ["index ^ 2", () => verifyInclusion(leaf, index ^ 2, size, proof, root)],
    ["size * 2", () => verifyInclusion(leaf, index, size * 2, proof, root)],
    ["size / 2", () => verifyInclusion(leaf, index, Math.floor(size / 2), proof, root)],
    ["wrong leaf", () => verifyInclusion(someHash, index, size, proof, root)],
    ["empty root", () => verifyInclusion(leaf, index, size, proof, EMPTY_ROOT)],
    ["random root", () => verifyInclusion(leaf, index, size, proof, someHash)],
    ["trailing root", () => verifyInclusion(leaf, index, size, [...proof, root], root)],
    ["preceding root", () => verifyInclusion(leaf, index, size, [root, ...proof], root)],
    [
      "trailing short hash",
      () => verifyInclusion(leaf, index, size, [...proof, new Uint8Array(0)], root),
    ],
  ];
  proof.forEach((_, i) => {
    const flipped = proof.map((h) => h.slice());
    flipped[i][0] ^= 8;
    probes.push([`proof[${i}] bit 3`, () => verifyInclusion(leaf, index, size, flipped, root)]);
  });
  if (proof.length > 0) {
    probes.push(["removed", () => verifyInclusion(leaf, index, size, proof.slice(0, -1), root)]);
  }
  if (proof.length > 1) {
    const inserted = [proof[0], someHash, ...proof.slice(1)];
    probes.push(["inserted", () => verifyInclusion(leaf, index, size, inserted, root)]);
  }
  return probes;
}

Deno.test("merkle log: leaf hashes and tree heads reproduce RFC 6962's reference vectors for every size", () => {
  const log = ctLog();
  assertEquals(toHex(treeRoot(0, log.perfect)), ct.empty_root);
  assertEquals(toHex(EMPTY_ROOT), ct.empty_root);
  for (let size = 1; size <= 8; size++) assertEquals(toHex(log.root(size)), ct.roots[size - 1]);
});

Deno.test("merkle log: inclusion proofs are the published ones, verify, and every corruption of them fails", () => {
  const log = ctLog();
  for (const vector of ct.inclusion) {
    const index = vector.leaf - 1;
    const proof = log.inclusionProof(index, vector.size);
    assertEquals(hexes(proof), vector.proof, `leaf ${index} of ${vector.size}`);
    const root = log.root(vector.size);
    assert(verifyInclusion(log.leaf(index), index, vector.size, proof, root));
    for (
      const [what, accepted] of brokenInclusion(log.leaf(index), index, vector.size, proof, root)
    ) {
      assert(!accepted(), `accepted with ${what} (leaf ${index} of ${vector.size})`);
    }
  }
});

Deno.test("merkle log: consistency proofs are the published ones, verify, and every corruption of them fails", () => {
  const log = ctLog();
  for (const vector of ct.consistency) {
    const proof = log.consistencyProof(vector.old, vector.new);
    assertEquals(hexes(proof), vector.proof, `${vector.old} to ${vector.new}`);
    const [a, b] = [log.root(vector.old), log.root(vector.new)];
    assert(verifyConsistency(vector.old, vector.new, a, b, proof));
    if (proof.length === 0) continue;
    const probes: [string, boolean][] = [
      ["old - 1", verifyConsistency(vector.old - 1, vector.new, a, b, proof)],
      ["old + 1", verifyConsistency(vector.old + 1, vector.new, a, b, proof)],
      ["old ^ 2", verifyConsistency(vector.old ^ 2, vector.new, a, b, proof)],
      ["new * 2", verifyConsistency(vector.old, vector.new * 2, a, b, proof)],
      ["new / 2", verifyConsistency(vector.old, Math.floor(vector.new / 2), a, b, proof)],
      ["wrong old root", verifyConsistency(vector.old, vector.new, someHash, b, proof)],
      ["wrong new root", verifyConsistency(vector.old, vector.new, a, someHash, proof)],
      ["swapped roots", verifyConsistency(vector.old, vector.new, b, a, proof)],
      ["empty proof", verifyConsistency(vector.old, vector.new, a, b, [])],
      ["trailing old root", verifyConsistency(vector.old, vector.new, a, b, [...proof, a])],
      ["trailing new root", verifyConsistency(vector.old, vector.new, a, b, [...proof, b])],
      ["preceding old root", verifyConsistency(vector.old, vector.new, a, b, [a, ...proof])],
      ["preceding proof[0]", verifyConsistency(vector.old, vector.new, a, b, [proof[0], ...proof])],
      ["truncated", verifyConsistency(vector.old, vector.new, a, b, proof.slice(0, -1))],
    ];
    proof.forEach((_, i) => {
      const flipped = proof.map((h) => h.slice());
      flipped[i][0] ^= 16;
      probes.push([`proof[${i}] bit 4`, verifyConsistency(vector.old, vector.new, a, b, flipped)]);
    });
    for (const [what, accepted] of probes) {
      assert(!accepted, `accepted with ${what} (${vector.old} to ${vector.new})`);
    }
  }
});

Deno.test("merkle log: C2SP's vectors: heads as leaves a to p are appended, valid proofs accepted, invalid ones refused", () => {
  const log = new MemoryLog();
  for (const [data, leaf, root] of cctv.tree as [string, string, string][]) {
    const hash = leafHash(new TextEncoder().encode(data));
    assertEquals(hash, fromBase64(leaf), `leaf ${data}`);
    log.append(hash);
    assertEquals(log.root(), fromBase64(root), `head after ${data}`);
  }
  const b64 = (list: string[]) => list.map(fromBase64);
  for (const v of cctv.inclusion_valid) {
    const args = [fromBase64(v.leaf_hash), v.leaf_index, v.tree_size] as const;
    assert(verifyInclusion(...args, b64(v.inclusion_path), fromBase64(v.root_hash)));
    assertEquals(log.inclusionProof(v.leaf_index, v.tree_size), b64(v.inclusion_path));
  }
  for (const v of cctv.inclusion_invalid) {
    const args = [fromBase64(v.leaf_hash), v.leaf_index, v.tree_size] as const;
    assert(!verifyInclusion(...args, b64(v.inclusion_path), fromBase64(v.root_hash)), v.comment);
  }
  for (const v of cctv.consistency_valid) {
    const roots = [fromBase64(v.old_root), fromBase64(v.new_root)] as const;
    assert(verifyConsistency(v.old_size, v.new_size, ...roots, b64(v.consistency_path)));
    assertEquals(log.consistencyProof(v.old_size, v.new_size), b64(v.consistency_path));
  }
  for (const v of cctv.consistency_invalid) {
    const roots = [fromBase64(v.old_root), fromBase64(v.new_root)] as const;
    assert(!verifyConsistency(v.old_size, v.new_size, ...roots, b64(v.consistency_path)));
  }
});

Deno.test("property: in trees of every shape up to 70 leaves, every leaf's inclusion and every size's consistency proof verifies, and the nodes read are the ones listed", () => {
  const log = new MemoryLog();
  for (let i = 0; i < 70; i++) log.append(leafHash(new Uint8Array([i, i * 7])));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), fc.nat(), (size, a, b) => {
      const index = a % size;
      const old = b % (size + 1);
      const proof = inclusionPath(index, size, log.perfect);
      assert(verifyInclusion(log.leaf(index), index, size, proof, log.root(size)));
      const consistency = consistencyPath(old, size, log.perfect);
      assert(verifyConsistency(old, size, log.root(old), log.root(size), consistency));
      // The dry run lists exactly what the real run reads.
      const read = new Set<string>();
      inclusionPath(index, size, (level, i) => {
        read.add(`${level}/${i}`);
        return log.perfect(level, i);
      });
      const listed = nodesFor((perfect) => inclusionPath(index, size, perfect));
      assertEquals(new Set(listed.map(([level, i]) => `${level}/${i}`)), read);
    }),
    { numRuns: 300 },
  );
});

Deno.test("merkle log: sizes, indices and hashes a liar could send are refused, never thrown on", () => {
  const log = ctLog();
  const root = log.root();
  for (
    const [index, size] of [[-1, 8], [8, 8], [0, 0], [1.5, 8], [0, Number.MAX_SAFE_INTEGER + 2]]
  ) {
    assert(!verifyInclusion(log.leaf(0), index, size, log.inclusionProof(0), root));
  }
  assert(
    !verifyInclusion(
      log.leaf(0),
      0,
      8,
      [new Uint8Array(31), ...log.inclusionProof(0).slice(1)],
      root,
    ),
  );
  assert(!verifyConsistency(9, 8, root, root, []));
  assert(!verifyConsistency(-1, 8, root, root, []));
  assert(!verifyConsistency(0, 8, EMPTY_ROOT, root, log.consistencyProof(1, 8)));
});
