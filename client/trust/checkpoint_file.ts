/**
 * What the client keeps of each directory's key-transparency log
 * (docs/protocol.md §15.6): the latest checkpoint it verified, and the bind
 * count it last saw of each of its own names there, in the private JSON
 * file `checkpoints` of the data directory (0600, written atomically),
 * keyed by the directory's fingerprint. Every later checkpoint of that
 * directory must extend the one kept; `p2pchat audit` reads and writes the
 * same file.
 *
 *     { "<directory fingerprint>": { "checkpoint": "<base64>", "names": { "alice": 3 } } }
 *
 * @module
 */
import { readPrivateFile, StorageError, writePrivateFile } from "../../storage/mod.ts";
import { decodeCheckpoint } from "../../transparency/mod.ts";

/** The file's name in the data directory. */
export const CHECKPOINTS_FILE = "checkpoints";

/** What is kept of one directory's log. */
export type KeptLog = {
  /** The latest checkpoint verified (base64, as the directory sent it). */
  readonly checkpoint?: string;
  /** The bind count last seen of each of your names there (folded). */
  readonly names: Readonly<Record<string, number>>;
};

const FOLDED = /^[a-z0-9_.-]{1,32}$/;
const FINGERPRINT = /^[0-9a-f]{64}$/;

/** The kept logs, by directory fingerprint. */
export class CheckpointFile {
  /** Where they are saved. */
  readonly path: string;
  readonly #logs: Map<string, KeptLog>;
  #saving: Promise<void> = Promise.resolve();
  #queued = false;

  private constructor(path: string, logs: Map<string, KeptLog>) {
    this.path = path;
    this.#logs = logs;
  }

  /** Loads the file at `path` (missing: nothing kept); StorageError `malformed` when it is not one. */
  static async load(path: string): Promise<CheckpointFile> {
    const bytes = await readPrivateFile(path);
    const logs = new Map<string, KeptLog>();
    if (bytes !== null) {
      const bad = (why: string) =>
        new StorageError("malformed", path, `Cannot read ${path}: ${why}; fix or remove it`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(bytes));
      } catch (cause) {
        throw new StorageError("malformed", path, `Cannot read ${path}: it is not JSON`, { cause });
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw bad("it is not a JSON object");
      }
      for (const [directory, value] of Object.entries(parsed as Record<string, unknown>)) {
        const kept = value as { checkpoint?: unknown; names?: unknown };
        if (!FINGERPRINT.test(directory)) throw bad(`"${directory}" is not a fingerprint`);
        if (kept.checkpoint !== undefined && decodeCheckpoint(kept.checkpoint) === null) {
          throw bad(`the checkpoint kept for ${directory} is malformed`);
        }
        const names = (kept.names ?? {}) as Record<string, unknown>;
        if (typeof names !== "object" || Array.isArray(names)) {
          throw bad(`"names" is not an object`);
        }
        for (const [name, count] of Object.entries(names)) {
          if (!FOLDED.test(name) || !Number.isInteger(count) || (count as number) < 1) {
            throw bad(`the count kept for ${name} is not a positive whole number`);
          }
        }
        logs.set(directory, {
          ...(typeof kept.checkpoint === "string" ? { checkpoint: kept.checkpoint } : {}),
          names: names as Record<string, number>,
        });
      }
    }
    return new CheckpointFile(path, logs);
  }

  /** What is kept of the directory with `fingerprint`, if anything. */
  get(fingerprint: string): KeptLog | undefined {
    return this.#logs.get(fingerprint);
  }

  /**
   * Keeps `kept` for the directory: at once in memory, on disk once the
   * returned promise resolves. Writes go one after another, and changes
   * made while one is under way go out together in the next.
   */
  set(fingerprint: string, kept: KeptLog): Promise<void> {
    this.#logs.set(fingerprint, kept);
    return this.#save();
  }

  /** Forgets what is kept of the directory; whether there was anything. */
  async forget(fingerprint: string): Promise<boolean> {
    const had = this.#logs.delete(fingerprint);
    if (had) await this.#save();
    return had;
  }

  #save(): Promise<void> {
    if (this.#queued) return this.#saving;
    this.#queued = true;
    const saved = this.#saving.then(() => {
      this.#queued = false;
      const object: Record<string, KeptLog> = {};
      for (const [k, v] of [...this.#logs].sort(([a], [b]) => a.localeCompare(b))) object[k] = v;
      return writePrivateFile(this.path, JSON.stringify(object, null, 2) + "\n");
    });
    // The next write waits for this one, failed or not; this one's failure is the caller's.
    this.#saving = saved.catch(() => {});
    return saved;
  }
}
