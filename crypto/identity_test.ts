import { assert, assertEquals } from "../tests/assert.ts";
import { formatFingerprint, parseFingerprint } from "./fingerprint.ts";
import { Identity, PublicIdentity } from "./identity.ts";

Deno.test("identity signatures verify under the public key only", () => {
  const a = Identity.generate();
  const b = Identity.generate();
  const message = new TextEncoder().encode("hello");
  const signature = a.sign(message);
  assert(a.public.verify(signature, message));
  assert(!b.public.verify(signature, message));
  const copy = PublicIdentity.fromRaw(a.public.key);
  assert(copy.verify(signature, message));
  assert(!copy.verify(signature, new TextEncoder().encode("hellp")));
});

Deno.test("fingerprints format in groups and parse back from what a person types", () => {
  const a = Identity.generate();
  const shown = formatFingerprint(a.public.fingerprint);
  assertEquals(shown.split(" ").length, 16);
  assertEquals(parseFingerprint(shown), a.public.fingerprint);
  assertEquals(parseFingerprint(shown.toUpperCase().replaceAll(" ", ":")), a.public.fingerprint);
  assertEquals(parseFingerprint("abc"), null);
});

Deno.test("Identity.fromJwk() round-trips exportJwk() and refuses what is not an Ed25519 key", () => {
  const identity = Identity.generate();
  const again = Identity.fromJwk(identity.exportJwk());
  assertEquals(again.public.fingerprint, identity.public.fingerprint);
  for (const bad of [null, {}, { kty: "EC" }, { ...identity.exportJwk(), x: "AAAA" }]) {
    let thrown: unknown;
    try {
      Identity.fromJwk(bad);
    } catch (error) {
      thrown = error;
    }
    assert(thrown instanceof TypeError, JSON.stringify(bad));
  }
});

Deno.test("Identity.fromSeed() gives the RFC 8032 test 1 public key", () => {
  // RFC 8032 §7.1, TEST 1.
  const seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  const pub = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
  const identity = Identity.fromSeed(Uint8Array.from(seed.match(/../g)!, (h) => parseInt(h, 16)));
  assertEquals(
    [...identity.public.key].map((b) => b.toString(16).padStart(2, "0")).join(""),
    pub,
  );
});
