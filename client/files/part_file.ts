/**
 * The receiver's side on disk (docs/protocol.md §14.4): the `.part` a file
 * is received into and how it becomes the final name. The part is created
 * new, with mode 0600, inside the downloads directory, and never through a
 * symlink (`O_CREAT | O_EXCL | O_NOFOLLOW`: a link planted at its name makes
 * the open fail, not write elsewhere); reopened to resume the same way,
 * without following links, and only if it is a regular file. At the end it
 * is linked to the final name, which fails if anything is there (a file or
 * a symlink, dangling or not: nothing is ever overwritten), trying
 * `report (1).pdf` and so on, and then the part is removed.
 *
 * @module
 */
import { constants, type FileHandle, link, lstat, open, unlink } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { MAX_NAME_TRIES, numberedName, partFileName } from "./safe_name.ts";
import { FILE_MODE } from "../../storage/mod.ts";

/** Bytes read at a time when hashing a part back from disk. */
const HASH_READ = 1024 * 1024;

/** Flags that create a new file and never follow a symlink. */
const CREATE_NEW = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL |
  (constants.O_NOFOLLOW ?? 0);
/** Flags that open an existing file for writing without following a symlink. */
const REOPEN = constants.O_RDWR | (constants.O_NOFOLLOW ?? 0);

/** Whether `error` says the disk (or the user's quota) is full. */
export function isNoSpace(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === "ENOSPC" || code === "EDQUOT" ||
    (error instanceof Error && /os error (28|122)\b/.test(error.message));
}

function isTaken(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === "EEXIST" || error instanceof Deno.errors.AlreadyExists;
}

/** A part being received. */
export class PartFile {
  /** The downloads directory. */
  readonly dir: string;
  /** The part's name in it. */
  readonly base: string;
  readonly #handle: FileHandle;
  #dirty = false;
  #closed = false;

  private constructor(dir: string, base: string, handle: FileHandle) {
    this.dir = dir;
    this.base = base;
    this.#handle = handle;
  }

  /** The part's path. */
  get path(): string {
    return join(this.dir, this.base);
  }

  /** Creates a new part for a file to be saved as `name` (safe already) in `dir`. */
  static async create(dir: string, name: string): Promise<PartFile> {
    for (let n = 0; n < MAX_NAME_TRIES; n++) {
      const base = partFileName(name, n);
      try {
        return new PartFile(dir, base, await open(join(dir, base), CREATE_NEW, FILE_MODE));
      } catch (error) {
        if (!isTaken(error)) throw error;
      }
    }
    throw new Deno.errors.AlreadyExists(`${MAX_NAME_TRIES} names for ${name}.part are taken`);
  }

  /** Opens the part `base` in `dir` again to resume, or null when it is gone or not a plain file. */
  static async reopen(dir: string, base: string, size: number): Promise<PartFile | null> {
    const path = join(dir, base);
    let handle: FileHandle;
    let before;
    try {
      // O_NOFOLLOW alone is not enough: under any permission set but -A, Deno resolves the
      // path's links before it opens (to check the permission), so the flag never sees one.
      // The name is looked at first, and what opened must be that very file.
      before = await lstat(path);
      if (!before.isFile()) return null;
      handle = await open(path, REOPEN);
    } catch {
      return null; // Gone, a symlink now, or unreadable: start afresh.
    }
    const info = await handle.stat();
    if (!info.isFile() || info.dev !== before.dev || info.ino !== before.ino || info.size > size) {
      await handle.close();
      return null;
    }
    return new PartFile(dir, base, handle);
  }

  /** Writes `data` at `position`. */
  async write(position: number, data: Uint8Array): Promise<void> {
    this.#dirty = true;
    for (let done = 0; done < data.length;) {
      const { bytesWritten } = await this.#handle.write(
        data,
        done,
        data.length - done,
        position + done,
      );
      done += bytesWritten;
    }
  }

  /** Puts what was written on disk (before a record claims it). */
  async sync(): Promise<void> {
    if (!this.#dirty || this.#closed) return;
    this.#dirty = false;
    await this.#handle.datasync();
  }

  /** The SHA-256 of `length` bytes at `position`, read back. */
  async hash(position: number, length: number): Promise<Uint8Array> {
    const hash = createHash("sha256");
    const buffer = new Uint8Array(Math.min(HASH_READ, Math.max(1, length)));
    for (let done = 0; done < length;) {
      const want = Math.min(buffer.length, length - done);
      const { bytesRead } = await this.#handle.read(buffer, 0, want, position + done);
      if (bytesRead === 0) throw new Error(`${this.path} ended before ${position + length} bytes`);
      hash.update(buffer.subarray(0, bytesRead));
      done += bytesRead;
    }
    return new Uint8Array(hash.digest());
  }

  /**
   * Gives the part its final name `name` (or the first free `name (n)`),
   * never replacing anything; returns the final path.
   */
  async place(name: string): Promise<string> {
    await this.close();
    for (let n = 0; n < MAX_NAME_TRIES; n++) {
      const final = join(this.dir, numberedName(name, n));
      try {
        await link(this.path, final);
      } catch (error) {
        if (isTaken(error)) continue;
        throw error;
      }
      await unlink(this.path);
      return final;
    }
    throw new Deno.errors.AlreadyExists(`${MAX_NAME_TRIES} names like ${name} are taken`);
  }

  /** Closes and removes the part. */
  async discard(): Promise<void> {
    await this.close();
    await unlink(this.path).catch(() => {}); // Gone already: nothing to remove.
  }

  /** Closes the part (syncing it first); safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.sync().catch(() => {}); // The close below reports a disk that fails.
    this.#closed = true;
    await this.#handle.close();
  }
}
