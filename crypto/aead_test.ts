import { createCipheriv } from "node:crypto";
import { assert, assertEquals } from "../tests/assert.ts";
import { AesGcmKey, SMALL_PLAINTEXT, TAG_LENGTH } from "./aead.ts";
import { concatBytes, fromHex, toHex } from "./bytes.ts";

// The GCM specification's AES-256 test cases (McGrew & Viega, Appendix B, as NIST published it).
const vectors = [
  {
    name: "test case 13 (empty plaintext)",
    key: "00".repeat(32),
    iv: "00".repeat(12),
    plaintext: "",
    aad: "",
    ciphertext: "",
    tag: "530f8afbc74536b9a963b4f1c4cb738b",
  },
  {
    name: "test case 14 (one zero block)",
    key: "00".repeat(32),
    iv: "00".repeat(12),
    plaintext: "00".repeat(16),
    aad: "",
    ciphertext: "cea7403d4d606b6e074ec5d3baf39d18",
    tag: "d0d1c8a799996bf0265b98b5d48ab919",
  },
  {
    name: "test case 16 (with AAD)",
    key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
    iv: "cafebabefacedbaddecaf888",
    plaintext: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
    aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    ciphertext: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
    tag: "76fc6ece0f4e1768cddf8853bb2d551b",
  },
];

for (const v of vectors) {
  Deno.test(`AesGcmKey.seal() matches the GCM spec ${v.name}`, async () => {
    const key = AesGcmKey.import(fromHex(v.key));
    const sealed = await key.seal(fromHex(v.iv), fromHex(v.plaintext), fromHex(v.aad));
    assertEquals(toHex(sealed), v.ciphertext + v.tag);
    const opened = await key.open(fromHex(v.iv), sealed, fromHex(v.aad));
    assertEquals(toHex(opened ?? new Uint8Array([1])), v.plaintext);
  });
}

Deno.test("AesGcmKey large records match node:crypto byte for byte", async () => {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const aad = new Uint8Array([1, 2, 3]);
  const plaintext = crypto.getRandomValues(new Uint8Array(SMALL_PLAINTEXT + 1000));
  const cipher = createCipheriv("aes-256-gcm", raw, nonce);
  cipher.setAAD(aad);
  const expected = concatBytes(cipher.update(plaintext), cipher.final(), cipher.getAuthTag());
  const key = AesGcmKey.import(raw);
  const sealed = await key.seal(nonce, plaintext, aad);
  assertEquals(toHex(sealed), toHex(expected));
  assertEquals(await key.open(nonce, sealed, aad), plaintext);
});

Deno.test("AesGcmKey.open() rejects a flipped bit anywhere, at both sizes", async () => {
  const key = AesGcmKey.import(crypto.getRandomValues(new Uint8Array(32)));
  const nonce = new Uint8Array(12);
  const aad = new Uint8Array([9, 9]);
  for (const size of [0, 100, SMALL_PLAINTEXT + 1]) {
    const sealed = await key.seal(nonce, new Uint8Array(size), aad);
    for (const at of [0, Math.floor(sealed.length / 2), sealed.length - 1]) {
      const bad = sealed.slice();
      bad[at] ^= 1;
      assertEquals(await key.open(nonce, bad, aad), null, `size ${size}, byte ${at}`);
    }
    assertEquals(await key.open(nonce, sealed, new Uint8Array([9, 8])), null, "changed AAD");
    const otherNonce = new Uint8Array(12).fill(1);
    assertEquals(await key.open(otherNonce, sealed, aad), null, "changed nonce");
    assert(sealed.length === size + TAG_LENGTH);
  }
  assertEquals(await key.open(nonce, new Uint8Array(5), aad), null, "shorter than a tag");
});
