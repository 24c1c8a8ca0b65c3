/**
 * Private files: a 0700 directory, files written 0600 atomically (temp file,
 * fsync, rename) and refused on load when group or others may read them.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { StorageError } from "./errors.ts";

/** Mode of the data directory. */
export const DIR_MODE = 0o700;
/** Mode of every file in it. */
export const FILE_MODE = 0o600;

/**
 * Creates `dir` (and parents) with mode 0700 if missing. A path that is (or
 * runs through) a file is a StorageError `not-a-directory` that says so.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: DIR_MODE });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists || error instanceof Deno.errors.NotADirectory) {
      const what = error instanceof Deno.errors.AlreadyExists ? "is a file" : "lies inside a file";
      throw new StorageError(
        "not-a-directory",
        dir,
        `${dir} ${what}, not a directory: choose a directory for p2pchat's data`,
        { cause: error },
      );
    }
    throw new StorageError("unreadable", dir, `Cannot create ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Writes `data` to `path` so that readers see the old file or the new one, never half. */
export async function writePrivateFile(path: string, data: Uint8Array | string): Promise<void> {
  await ensurePrivateDir(dirname(path));
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const temp = join(dirname(path), `.${crypto.randomUUID()}.tmp`);
  const file = await Deno.open(temp, { write: true, createNew: true, mode: FILE_MODE });
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
  } catch (error) {
    file.close();
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  file.close();
  // A umask can only clear bits, but an existing temp name cannot exist (createNew); be explicit anyway.
  await Deno.chmod(temp, FILE_MODE);
  await Deno.rename(temp, path);
}

/**
 * Reads a private file, or returns null when it does not exist. Refuses a
 * file that group or others can read or write, naming the `chmod` fix.
 */
export async function readPrivateFile(path: string): Promise<Uint8Array | null> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new StorageError("unreadable", path, `Cannot read ${path}: ${(error as Error).message}`);
  }
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    throw new StorageError(
      "insecure-permissions",
      path,
      `Cannot load ${path}: it is readable by others (mode ${
        (info.mode & 0o777).toString(8)
      }); run: chmod 600 ${path}`,
    );
  }
  try {
    return await Deno.readFile(path);
  } catch (error) {
    throw new StorageError("unreadable", path, `Cannot read ${path}: ${(error as Error).message}`);
  }
}
