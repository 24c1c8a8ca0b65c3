import { join } from "node:path";
import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { StorageError } from "../../storage/mod.ts";
import type { Fingerprint } from "../../crypto/mod.ts";
import { PinFile } from "./pin_file.ts";

const fp = "ab".repeat(32) as Fingerprint;

Deno.test("PinFile keeps pins across loads, in a 0600 file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "known_peers");
    const pins = await PinFile.load(path);
    assertEquals(pins.get("bob"), undefined);
    await pins.set("bob", { fingerprint: fp, verified: false });
    await pins.set("bob", { fingerprint: fp, verified: true });
    const again = await PinFile.load(path);
    assertEquals(again.get("bob"), { fingerprint: fp, verified: true });
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PinFile refuses a file others can write or a malformed one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "known_peers");
    await Deno.writeTextFile(path, "{}", { mode: 0o666 });
    await Deno.chmod(path, 0o666);
    await assertRejects(() => PinFile.load(path), StorageError, "insecure-permissions");
    await Deno.chmod(path, 0o600);
    await Deno.writeTextFile(path, '{"bob":{"fingerprint":"nope"}}');
    await assertRejects(() => PinFile.load(path), StorageError, "malformed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
