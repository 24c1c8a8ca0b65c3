import { assert, assertEquals } from "../tests/assert.ts";
import { Identity } from "../crypto/mod.ts";
import { signCheckpoint, type SignedCheckpoint, verifyCheckpoint } from "./checkpoint.ts";
import { computeVectors } from "./testdata/vectors.ts";

const directory = Identity.generate();
const fields = {
  size: 19_500,
  logRoot: new Uint8Array(32).fill(1),
  mapRoot: new Uint8Array(32).fill(2),
  time: 1_796_000_000_000,
};

Deno.test("known-answer vectors: the stored map, log and checkpoint bytes are what the code produces", async () => {
  const stored = JSON.parse(
    await Deno.readTextFile(new URL("./testdata/transparency_vectors.json", import.meta.url)),
  );
  assertEquals(computeVectors(), stored);
});

Deno.test("checkpoint: a directory's signature verifies, and only that directory's", () => {
  const signed = signCheckpoint(directory, fields);
  assertEquals(verifyCheckpoint(directory.public, signed), signed);
  const mallory = Identity.generate();
  assertEquals(verifyCheckpoint(mallory.public, signed), null, "checked against another key");
  assertEquals(verifyCheckpoint(directory.public, signCheckpoint(mallory, fields)), null);
});

Deno.test("checkpoint: every field is covered: any change, a short signature or malformed numbers are refused, never thrown", () => {
  const signed = signCheckpoint(directory, fields);
  const altered: [string, SignedCheckpoint][] = [
    ["size", { ...signed, size: signed.size + 1 }],
    ["smaller size", { ...signed, size: signed.size - 1 }],
    ["log root", { ...signed, logRoot: new Uint8Array(32).fill(3) }],
    ["map root", { ...signed, mapRoot: new Uint8Array(32).fill(3) }],
    ["time", { ...signed, time: signed.time + 1 }],
    ["signature", { ...signed, signature: signed.signature.map((b, i) => i === 0 ? b ^ 1 : b) }],
    ["short signature", { ...signed, signature: signed.signature.slice(1) }],
    ["negative size", { ...signed, size: -1 }],
    ["fractional size", { ...signed, size: 1.5 }],
    ["short root", { ...signed, logRoot: new Uint8Array(31) }],
  ];
  for (const [what, checkpoint] of altered) {
    assert(
      verifyCheckpoint(directory.public, checkpoint) === null,
      `accepted with ${what} changed`,
    );
  }
});
