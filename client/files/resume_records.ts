/**
 * What a receiver remembers of files it has partly (docs/protocol.md §14.5),
 * in the private file `transfers` of the data directory: for each `.part`,
 * who sends it (their key's fingerprint), the file (SHA-256, size, chunk
 * size, list hash), where the part is and which chunks of it are checked.
 * A new offer of the same file from the same key resumes from there.
 *
 * The file is written atomically, at most every RECORD_FLUSH_MS while
 * chunks come in (and at once when a transfer ends or the client quits),
 * after the parts' data has been synced: a record may lag behind its part,
 * which only re-sends a chunk, but never claims a chunk the disk lacks.
 *
 * @module
 */
import { basename } from "node:path";
import { readPrivateFile, StorageError, writePrivateFile } from "../../storage/mod.ts";

/** File name of the records inside the data directory. */
export const TRANSFERS_FILE = "transfers";
/** Most records kept; the oldest goes (its part stays, as any file the user has). */
export const MAX_RECORDS = 64;
/** How often, at most, the records are written while chunks come in. */
export const RECORD_FLUSH_MS = 1_000;
/** How long a record of an untouched part is kept. */
export const RECORD_KEEP_MS = 30 * 24 * 60 * 60 * 1000;

/** One part being received. */
export type PartRecord = {
  /** The sender's fingerprint. */
  readonly peer: string;
  readonly sha256: string;
  readonly size: number;
  readonly chunk: number;
  readonly list: string;
  /** The downloads directory the part is in, and its base name there. */
  readonly dir: string;
  readonly part: string;
  /** The safe name the file is to be saved under. */
  readonly name: string;
  /** Base64 bitmap of the checked chunks. */
  have: string;
  updated: number;
};

/** What identifies a file from a sender. */
export type FileKey = { peer: string; sha256: string; size: number };

const keyOf = (k: FileKey): string => `${k.peer}/${k.sha256}/${k.size}`;

/** Whether `value` is a record as this file holds them. */
function isRecord(value: unknown): value is PartRecord {
  const r = value as Record<string, unknown>;
  return typeof r === "object" && r !== null &&
    ["peer", "sha256", "list", "dir", "part", "name", "have"].every((f) =>
      typeof r[f] === "string"
    ) &&
    ["size", "chunk", "updated"].every((f) => Number.isSafeInteger(r[f])) &&
    // Only a plain name inside its directory: the file cannot send a write elsewhere.
    basename(r.part as string) === r.part && (r.part as string).endsWith(".part");
}

/** The records, written back behind the changes. */
export class ResumeRecords {
  readonly #path: string;
  readonly #records = new Map<string, PartRecord>();
  readonly #clock: () => number;
  /** Syncs the parts' data before a write, so no record claims what the disk lacks. */
  readonly #sync: () => Promise<void>;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();

  private constructor(path: string, clock: () => number, sync: () => Promise<void>) {
    this.#path = path;
    this.#clock = clock;
    this.#sync = sync;
  }

  /** Loads the records at `path` (none if missing); refuses a file others can read. */
  static async load(
    path: string,
    options: { clock?: () => number; sync?: () => Promise<void> } = {},
  ): Promise<ResumeRecords> {
    const clock = options.clock ?? Date.now;
    const records = new ResumeRecords(path, clock, options.sync ?? (() => Promise.resolve()));
    const bytes = await readPrivateFile(path);
    if (bytes === null) return records;
    let parsed: { records?: unknown };
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes));
      if (!Array.isArray(parsed.records)) throw new TypeError("no records");
    } catch (cause) {
      throw new StorageError(
        "malformed",
        path,
        `Cannot read ${path}: it is not p2pchat's record of partly received files; fix or remove it`,
        { cause },
      );
    }
    const now = clock();
    for (const record of (parsed.records as unknown[]).filter(isRecord)) {
      if (now - record.updated <= RECORD_KEEP_MS) records.#records.set(keyOf(record), record);
    }
    return records;
  }

  /** The record of the file `key`, if a part of it is kept. */
  find(key: FileKey): PartRecord | undefined {
    return this.#records.get(keyOf(key));
  }

  /** Every record, oldest first. */
  get all(): readonly PartRecord[] {
    return [...this.#records.values()];
  }

  /** Keeps `record` (a new part), written within RECORD_FLUSH_MS. */
  put(record: PartRecord): void {
    this.#records.delete(keyOf(record));
    this.#records.set(keyOf(record), { ...record, updated: this.#clock() });
    while (this.#records.size > MAX_RECORDS) {
      this.#records.delete(this.#records.keys().next().value!);
    }
    this.#later();
  }

  /** The part of `key` now holds the chunks `have` (written within RECORD_FLUSH_MS). */
  update(key: FileKey, have: string): void {
    const record = this.#records.get(keyOf(key));
    if (!record) return;
    record.have = have;
    record.updated = this.#clock();
    this.#later();
  }

  /** Forgets the part of `key` (finished, or given up), and writes at once. */
  remove(key: FileKey): Promise<void> {
    this.#records.delete(keyOf(key));
    return this.flush();
  }

  /** Writes the records now (after syncing the parts). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // One write at a time; one that failed does not stop the next.
    this.#writing = this.#writing.catch(() => {}).then(async () => {
      await this.#sync();
      const text = JSON.stringify({ version: 1, records: [...this.#records.values()] });
      await writePrivateFile(this.#path, text);
    });
    return this.#writing;
  }

  #later(): void {
    // A failed background write is retried with the next change, and flush() reports its own.
    this.#timer ??= setTimeout(() => void this.flush().catch(() => {}), RECORD_FLUSH_MS);
  }
}
