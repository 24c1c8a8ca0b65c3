import fc from "fast-check";
import { assert, assertEquals } from "../tests/assert.ts";
import { toHex } from "../crypto/mod.ts";
import { sha256 } from "./merkle_log.ts";
import {
  BindingMap,
  EMPTY_SUBTREE,
  mapPath,
  type MapProof,
  verifyMapProof,
} from "./binding_map.ts";

const key = (n: number): Uint8Array => new Uint8Array(32).fill(n);

Deno.test("binding map: an empty map's root is the empty subtree; one binding's root is its leaf", () => {
  const map = new BindingMap();
  assertEquals(map.root(), EMPTY_SUBTREE);
  assert(verifyMapProof(map.root(), mapPath("alice"), null, map.prove(mapPath("alice"))));
  map.set(mapPath("alice"), key(1));
  const proof = map.prove(mapPath("alice"));
  assertEquals(proof, { siblings: [], terminal: { kind: "leaf" } });
  assert(verifyMapProof(map.root(), mapPath("alice"), key(1), proof));
  assert(!verifyMapProof(map.root(), mapPath("alice"), key(2), proof), "another key");
  assert(!verifyMapProof(map.root(), mapPath("alice"), null, proof), "absent");
});

Deno.test("binding map: every name's proof shows its key, every absent name's shows nothing, and no proof says both", () => {
  const map = new BindingMap();
  const names = Array.from({ length: 300 }, (_, i) => `user${i}`);
  names.forEach((name, i) => map.set(mapPath(name), key(i % 251)));
  const root = map.root();
  for (const [i, name] of names.entries()) {
    const proof = map.prove(mapPath(name));
    assert(verifyMapProof(root, mapPath(name), key(i % 251), proof), name);
    assert(!verifyMapProof(root, mapPath(name), null, proof), `${name} absent too`);
    assert(proof.siblings.length < 24, `${name}: ${proof.siblings.length} siblings for 300 names`);
  }
  for (const name of ["nobody", "user300", "USER1"]) {
    const proof = map.prove(mapPath(name));
    assert(verifyMapProof(root, mapPath(name), null, proof), name);
    assert(!verifyMapProof(root, mapPath(name), key(0), proof));
  }
});

Deno.test("binding map: rebinding and unbinding change the root and the proofs, and old proofs no longer verify", () => {
  const map = new BindingMap();
  for (const name of ["alice", "bob", "carol"]) map.set(mapPath(name), key(name.length));
  const before = map.root();
  const old = map.prove(mapPath("bob"));
  map.set(mapPath("bob"), key(9));
  assert(toHex(map.root()) !== toHex(before));
  assert(!verifyMapProof(map.root(), mapPath("bob"), key(3), old));
  assert(verifyMapProof(map.root(), mapPath("bob"), key(9), map.prove(mapPath("bob"))));
  map.delete(mapPath("bob"));
  assert(verifyMapProof(map.root(), mapPath("bob"), null, map.prove(mapPath("bob"))));
  // Same bindings, same root, whatever the order they came in.
  const again = new BindingMap();
  for (const name of ["carol", "alice"]) again.set(mapPath(name), key(name.length));
  assertEquals(again.root(), map.root());
});

Deno.test("binding map: forged proofs are refused: a sibling changed, one too many or too few, another name's leaf off the path, malformed input", () => {
  const map = new BindingMap();
  for (let i = 0; i < 50; i++) map.set(mapPath(`n${i}`), key(i));
  const root = map.root();
  const path = mapPath("n7");
  const proof = map.prove(path);
  const flipped = proof.siblings.map((s) => s.slice());
  flipped[0][5] ^= 1;
  const forged: [string, MapProof][] = [
    ["flipped sibling", { ...proof, siblings: flipped }],
    ["extra sibling", { ...proof, siblings: [...proof.siblings, EMPTY_SUBTREE] }],
    ["missing sibling", { ...proof, siblings: proof.siblings.slice(1) }],
    ["a short hash", { ...proof, siblings: [new Uint8Array(31), ...proof.siblings.slice(1)] }],
  ];
  for (const [what, p] of forged) assert(!verifyMapProof(root, path, key(7), p), what);
  // Absence shown by another name's real leaf and siblings, which sit elsewhere: the hashes
  // add up to the root (for n8's path), but the leaf does not share n7's prefix.
  const other = map.prove(mapPath("n8"));
  const elsewhere: MapProof = {
    siblings: other.siblings,
    terminal: { kind: "other", path: mapPath("n8"), valueHash: sha256(key(8)) },
  };
  assert(!verifyMapProof(root, path, null, elsewhere));
  for (const junk of [null, {}, { siblings: "x" }, { siblings: [], terminal: { kind: "?" } }]) {
    assert(!verifyMapProof(root, path, key(7), junk as unknown as MapProof));
  }
});

Deno.test("property: any set of bindings: each name proves its key against the root, and a name not set proves absent", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 40 }),
      fc.string(),
      (names, probe) => {
        const map = new BindingMap();
        names.forEach((name, i) => map.set(mapPath(name), key(i)));
        const root = map.root();
        names.forEach((name, i) =>
          assert(verifyMapProof(root, mapPath(name), key(i), map.prove(mapPath(name))))
        );
        if (!names.includes(probe)) {
          assert(
            verifyMapProof(root, mapPath(probe), null, map.prove(mapPath(probe))),
          );
        }
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("binding map: a lying tree that puts a name's leaf on the wrong side cannot use it to prove another name absent", () => {
  // Two names whose paths differ in the first bit.
  let x = "x0";
  for (let i = 0; (mapPath(x)[0] & 0x80) === 0; i++) x = `x${i}`;
  let p = "p0";
  for (let i = 0; (mapPath(p)[0] & 0x80) !== 0; i++) p = `p${i}`;
  // The liar's root: x's leaf as the left child, though x's first bit says right.
  const leaf = sha256(new Uint8Array([0x02]), mapPath(x), sha256(key(1)));
  const root = sha256(new Uint8Array([0x03]), leaf, EMPTY_SUBTREE);
  const proof: MapProof = {
    siblings: [EMPTY_SUBTREE],
    terminal: { kind: "other", path: mapPath(x), valueHash: sha256(key(1)) },
  };
  assert(!verifyMapProof(root, mapPath(p), null, proof), "a misplaced leaf vouched for absence");
});

/** The root straight from the definition, over the leaves sorted by path: the reference. */
function referenceRoot(leaves: [Uint8Array, Uint8Array][], depth = 0): Uint8Array {
  if (leaves.length === 0) return EMPTY_SUBTREE;
  if (leaves.length === 1) {
    return sha256(new Uint8Array([0x02]), leaves[0][0], sha256(leaves[0][1]));
  }
  const bitOf = (p: Uint8Array) => (p[depth >> 3] >> (7 - (depth & 7))) & 1;
  return sha256(
    new Uint8Array([0x03]),
    referenceRoot(leaves.filter(([p]) => bitOf(p) === 0), depth + 1),
    referenceRoot(leaves.filter(([p]) => bitOf(p) === 1), depth + 1),
  );
}

Deno.test("property: the persistent tree's root is the definition's after any sets and deletes, and old versions keep their own root and proofs", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.boolean()), { maxLength: 80 }),
      (ops) => {
        const map = new BindingMap();
        const truth = new Map<string, [Uint8Array, Uint8Array]>();
        const versions: [ReturnType<typeof map.root>, typeof map.version, string][] = [];
        for (const [n, set] of ops) {
          const path = mapPath(`v${n}`);
          if (set) {
            map.set(path, key(n));
            truth.set(toHex(path), [path, key(n)]);
          } else {
            map.delete(path);
            truth.delete(toHex(path));
          }
          assertEquals(map.size, truth.size);
          versions.push([map.root(), map.version, `v${n}`]);
        }
        assertEquals(map.root(), referenceRoot([...truth.values()]));
        for (const [root, version, name] of versions) {
          assertEquals(version.root(), root);
          const value = version.get(mapPath(name));
          assert(verifyMapProof(root, mapPath(name), value, version.prove(mapPath(name))));
        }
      },
    ),
    { numRuns: 150 },
  );
});
