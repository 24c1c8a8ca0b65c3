import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { StorageError } from "../storage/errors.ts";
import { formatFingerprint, parseFingerprint } from "./fingerprint.ts";
import { Identity, PublicIdentity } from "./identity.ts";

Deno.test("Identity.loadOrCreate() creates once, then loads the same fingerprint", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "home", "identity.key");
    const first = await Identity.loadOrCreate(path);
    assert(first.created);
    const second = await Identity.loadOrCreate(path);
    assert(!second.created);
    assertEquals(second.identity.public.fingerprint, first.identity.public.fingerprint);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals((await Deno.stat(join(dir, "home"))).mode! & 0o777, 0o700);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Identity.loadOrCreate() refuses a key file others can read and names the fix", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "identity.key");
    await Identity.loadOrCreate(path);
    await Deno.chmod(path, 0o644);
    const error = await assertRejects(
      () => Identity.loadOrCreate(path),
      StorageError,
      "insecure-permissions",
    );
    assert(error.message.includes(path));
    assert(error.message.includes(`chmod 600 ${path}`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Identity.loadOrCreate() refuses a malformed key file without echoing it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "identity.key");
    await Deno.writeTextFile(path, '{"kty":"OKP","crv":"Ed25519","d":"c2VjcmV0","x":"AAAA"}', {
      mode: 0o600,
    });
    const error = await assertRejects(() => Identity.loadOrCreate(path), StorageError, "malformed");
    assert(!error.message.includes("c2VjcmV0"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

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
