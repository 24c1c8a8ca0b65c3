import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { StorageError } from "./errors.ts";
import { loadOrCreateIdentity } from "./identity_file.ts";

Deno.test("loadOrCreateIdentity() creates once, then loads the same fingerprint", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "home", "identity.key");
    const first = await loadOrCreateIdentity(path);
    assert(first.created);
    const second = await loadOrCreateIdentity(path);
    assert(!second.created);
    assertEquals(second.identity.public.fingerprint, first.identity.public.fingerprint);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals((await Deno.stat(join(dir, "home"))).mode! & 0o777, 0o700);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadOrCreateIdentity() refuses a key file others can read and names the fix", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "identity.key");
    await loadOrCreateIdentity(path);
    await Deno.chmod(path, 0o644);
    const error = await assertRejects(
      () => loadOrCreateIdentity(path),
      StorageError,
      "insecure-permissions",
    );
    assert(error.message.includes(path));
    assert(error.message.includes(`chmod 600 ${path}`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadOrCreateIdentity() refuses a malformed key file without echoing it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "identity.key");
    await Deno.writeTextFile(path, '{"kty":"OKP","crv":"Ed25519","d":"c2VjcmV0","x":"AAAA"}', {
      mode: 0o600,
    });
    const error = await assertRejects(() => loadOrCreateIdentity(path), StorageError, "malformed");
    assert(!error.message.includes("c2VjcmV0"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
