import { assert, assertEquals, assertNotEquals } from "../tests/assert.ts";
import { toHex } from "./bytes.ts";
import { EphemeralKey } from "./ecdh.ts";

Deno.test("EphemeralKey agrees on the same secret from both sides, and a third key differs", () => {
  const a = EphemeralKey.generate();
  const b = EphemeralKey.generate();
  const c = EphemeralKey.generate();
  assertEquals(a.publicRaw.length, 65);
  assertEquals(toHex(a.agree(b.publicRaw)), toHex(b.agree(a.publicRaw)));
  assertNotEquals(toHex(a.agree(b.publicRaw)), toHex(a.agree(c.publicRaw)));
});

Deno.test("EphemeralKey matches WebCrypto's ECDH P-256 on the same keys", async () => {
  const ours = EphemeralKey.generate();
  const theirs = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, [
    "deriveBits",
  ]) as CryptoKeyPair;
  const theirRaw = new Uint8Array(await crypto.subtle.exportKey("raw", theirs.publicKey));
  const ourPublic = await crypto.subtle.importKey(
    "raw",
    ours.publicRaw as Uint8Array<ArrayBuffer>,
    { name: "ECDH", namedCurve: "P-256" },
    false,
    [],
  );
  const webSecret = new Uint8Array(
    await crypto.subtle.deriveBits({ name: "ECDH", public: ourPublic }, theirs.privateKey, 256),
  );
  assertEquals(toHex(ours.agree(theirRaw)), toHex(webSecret));
});

Deno.test("EphemeralKey refuses a point that is not on the curve", () => {
  const a = EphemeralKey.generate();
  const bad = a.publicRaw.slice();
  bad[64] ^= 1;
  let refused = false;
  try {
    a.agree(bad);
  } catch (error) {
    refused = error instanceof TypeError;
  }
  assert(refused);
});
