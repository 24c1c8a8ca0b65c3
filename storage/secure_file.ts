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
    throw writeFailure(dir, error, "create");
  }
}

/** What was found about a directory a write failed in, for the message. */
function describeDir(dir: string): { mode?: string; owner?: number } {
  try {
    const info = Deno.statSync(dir);
    return {
      mode: info.mode === null ? undefined : (info.mode & 0o777).toString(8),
      owner: info.uid ?? undefined,
    };
  } catch {
    return {}; // Not there or not readable: the message says what it can.
  }
}

/** Our user id, or null where it cannot be told (Windows, or no --allow-sys=uid). */
function ownUid(): number | null {
  try {
    return Deno.build.os === "windows" ? null : Deno.uid();
  } catch {
    return null; // Not permitted: the message just goes without it.
  }
}

/**
 * The StorageError `unwritable` for a failed write of `path`: which file,
 * why (permission, a read-only file system, a full disk) and what fixes it.
 */
export function writeFailure(path: string, error: unknown, verb = "write"): StorageError {
  const dir = dirname(path);
  const message = error instanceof Error ? error.message : String(error);
  let why: string;
  let fix: string;
  if (error instanceof Deno.errors.PermissionDenied) {
    const { mode, owner } = describeDir(dir);
    const me = ownUid();
    const has = [mode && `mode ${mode}`, owner !== undefined && `owner uid ${owner}`].filter(
      Boolean,
    );
    why = `permission denied: ${dir} is not writable by you` +
      (me === null ? "" : ` (uid ${me}${has.length ? `; it has ${has.join(", ")}` : ""})`);
    fix = owner !== undefined && owner === me
      ? `run: chmod u+w ${dir}, or choose another data directory`
      : `run p2pchat as the user who owns ${dir}, give your user write access to it, ` +
        "or choose another data directory";
  } else if (/os error 30\b/.test(message)) {
    why = "the file system is read-only";
    fix = "choose a data directory on a writable file system";
  } else if (/os error 28\b/.test(message)) {
    why = "the disk is full";
    fix = "free some space, or choose a data directory on another disk";
  } else {
    why = message;
    fix = "check the data directory, or choose another one";
  }
  return new StorageError("unwritable", path, `Cannot ${verb} ${path}: ${why}; ${fix}`, {
    cause: error,
  });
}

/**
 * Creates the private file `path` empty (mode 0600) if it is missing, and
 * makes sure it has mode 0600: for files that others open themselves
 * (SQLite gives its -wal and -shm files the database's mode). Throws
 * StorageError `unwritable` saying why and how to fix it.
 */
export async function ensurePrivateFile(path: string): Promise<void> {
  try {
    await Deno.writeFile(path, new Uint8Array(0), { append: true, mode: FILE_MODE });
    await Deno.chmod(path, FILE_MODE);
  } catch (error) {
    throw writeFailure(path, error);
  }
}

/**
 * A one-line warning when `dir` is writable by its group or others (who
 * could then replace the files in it), or undefined when it is not.
 */
export async function writableByOthers(dir: string): Promise<string | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch {
    return undefined; // Missing or unreadable: whoever uses it reports that.
  }
  if (info.mode === null || (info.mode & 0o022) === 0) return undefined;
  return `the data directory ${dir} is writable by others (mode ${
    (info.mode & 0o777).toString(8)
  }): they could replace its files, the identity included; run: chmod 700 ${dir}`;
}

/** Writes `data` to `path` so that readers see the old file or the new one, never half. */
export async function writePrivateFile(path: string, data: Uint8Array | string): Promise<void> {
  await ensurePrivateDir(dirname(path));
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const temp = join(dirname(path), `.${crypto.randomUUID()}.tmp`);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(temp, { write: true, createNew: true, mode: FILE_MODE });
  } catch (error) {
    // Name the file the caller asked for, not the temporary one.
    throw writeFailure(path, error);
  }
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
    file.close();
    // A umask can only clear bits, but an existing temp name cannot exist (createNew); be explicit anyway.
    await Deno.chmod(temp, FILE_MODE);
    await Deno.rename(temp, path);
  } catch (error) {
    try {
      file.close();
    } catch {
      // Closed already (the failure came after): nothing more to release.
    }
    // Safe to drop: a leftover temporary file is harmless; the write's own failure is what matters.
    await Deno.remove(temp).catch(() => {});
    throw writeFailure(path, error);
  }
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
