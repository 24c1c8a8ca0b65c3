import { assert, assertEquals } from "../tests/assert.ts";
import { fromBase64, toBase64 } from "../crypto/mod.ts";
import { BindingMap, mapPath } from "./binding_map.ts";
import { encodeValue } from "./log_entry.ts";
import {
  CHECKPOINT_BASE64_LENGTH,
  decodeBindingProof,
  decodeCheckpoint,
  decodeHashes,
  encodeBindingProof,
  encodeCheckpoint,
  encodeHashes,
  MAX_PROOF_HASHES,
} from "./wire.ts";

const checkpoint = {
  size: 19_500,
  logRoot: new Uint8Array(32).fill(1),
  mapRoot: new Uint8Array(32).fill(2),
  time: 1_796_000_000_000,
  signature: new Uint8Array(64).fill(3),
};

Deno.test("wire: a checkpoint is 144 bytes, 192 base64 characters, and decodes to itself", () => {
  const text = encodeCheckpoint(checkpoint);
  assertEquals(text.length, CHECKPOINT_BASE64_LENGTH);
  assertEquals(decodeCheckpoint(text), checkpoint);
  for (const junk of [null, 7, "", "!!!", text.slice(4), text + "AAAA", "A".repeat(10_000)]) {
    assertEquals(decodeCheckpoint(junk), null, String(junk).slice(0, 20));
  }
  const huge = fromBase64(text);
  huge.fill(0xff, 0, 8);
  assertEquals(decodeCheckpoint(toBase64(huge)), null, "a size no number holds");
});

Deno.test("wire: hash lists round-trip and are bounded; a length off by one byte is refused", () => {
  const hashes = [new Uint8Array(32).fill(4), new Uint8Array(32).fill(5)];
  assertEquals(decodeHashes(encodeHashes(hashes)), hashes);
  assertEquals(decodeHashes(encodeHashes([])), []);
  assertEquals(decodeHashes(toBase64(new Uint8Array(33))), null);
  const many = Array.from({ length: MAX_PROOF_HASHES + 1 }, () => new Uint8Array(32));
  assertEquals(decodeHashes(encodeHashes(many)), null);
});

Deno.test("wire: binding proofs of presence, of absence by an empty subtree and by another leaf round-trip", () => {
  const map = new BindingMap();
  const value = { state: "bound" as const, count: 2, key: new Uint8Array(32).fill(9) };
  for (let i = 0; i < 40; i++) map.set(mapPath(`u${i}`), encodeValue({ ...value, count: i + 1 }));
  const present = { value: { ...value, count: 8 }, proof: map.prove(mapPath("u7")) };
  assertEquals(decodeBindingProof(encodeBindingProof(present)), present);
  let kinds = new Set<string>();
  for (let i = 0; i < 200 && kinds.size < 2; i++) {
    const proof = map.prove(mapPath(`nobody${i}`));
    kinds = kinds.add(proof.terminal.kind);
    assertEquals(decodeBindingProof(encodeBindingProof({ value: null, proof })), {
      value: null,
      proof,
    });
  }
  assertEquals([...kinds].sort(), ["empty", "other"]);
  const bytes = fromBase64(encodeBindingProof(present));
  for (
    const [what, broken] of [
      ["terminal 3", Uint8Array.from(bytes, (b, i) => i === 0 ? 3 : b)],
      ["one byte short", bytes.slice(0, -1)],
      ["one sibling more claimed", Uint8Array.from(bytes, (b, i) => i === 39 ? b + 1 : b)],
      ["state 0", Uint8Array.from(bytes, (b, i) => i === 1 ? 0 : b)],
    ] as const
  ) {
    assertEquals(decodeBindingProof(toBase64(broken)), null, what);
  }
  assert(decodeBindingProof("A".repeat(20_000)) === null, "over the longest proof");
});
