import { join } from "node:path";
import { assert, assertEquals } from "../tests/assert.ts";
import { StorageError } from "./errors.ts";
import { ensurePrivateFile, writableByOthers, writeFailure } from "./secure_file.ts";

Deno.test("writeFailure() names the file, why it could not be written and the fix", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.chmod(dir, 0o500);
    const path = join(dir, "identity.key");
    const denied = writeFailure(path, new Deno.errors.PermissionDenied("Permission denied"));
    assert(denied instanceof StorageError && denied.code === "unwritable");
    assertEquals(denied.path, path);
    assert(
      denied.message.startsWith(
        `Cannot write ${path}: permission denied: ${dir} is not writable by you`,
      ),
      denied.message,
    );
    assert(denied.message.includes("mode 500"), denied.message);
    assert(denied.message.includes("choose another data directory"), denied.message);
    const full = writeFailure(path, new Error("No space left on device (os error 28)"));
    assertEquals(
      full.message,
      `Cannot write ${path}: the disk is full; free some space, or choose a data directory on another disk`,
    );
    const readOnly = writeFailure(path, new Error("Read-only file system (os error 30)"));
    assert(readOnly.message.includes("the file system is read-only"), readOnly.message);
  } finally {
    await Deno.chmod(dir, 0o700);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ensurePrivateFile() creates a missing file empty with mode 0600 and keeps an existing one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "directory.sqlite");
    await ensurePrivateFile(path);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    await Deno.writeTextFile(path, "kept");
    await Deno.chmod(path, 0o644);
    await ensurePrivateFile(path);
    assertEquals(await Deno.readTextFile(path), "kept");
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writableByOthers() warns of a data directory others may write, naming the chmod", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.chmod(dir, 0o700);
    assertEquals(await writableByOthers(dir), undefined);
    await Deno.chmod(dir, 0o775);
    const warning = await writableByOthers(dir);
    assert(warning?.includes(`${dir} is writable by others (mode 775)`), warning);
    assert(warning?.endsWith(`run: chmod 700 ${dir}`), warning);
    assertEquals(await writableByOthers(join(dir, "missing")), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
