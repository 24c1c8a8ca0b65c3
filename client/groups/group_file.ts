/**
 * The private file `groups` in the data directory (docs/cli.md, Files):
 * every group and invitation this client keeps (group_record.ts), written
 * atomically with mode 0600 and refused when others can read it. Writes are
 * coalesced: one at a time, and the next one carries every change made
 * while the one before was on its way, so a busy group costs one write per
 * disk round trip, not one per message; each caller learns when a write
 * holding its change is on disk.
 *
 * @module
 */
import { readPrivateFile, StorageError, writePrivateFile } from "../../storage/mod.ts";
import { errorMessage } from "../../errors/mod.ts";
import { type GroupRecord, recordFromJson, recordToJson } from "./group_record.ts";

/** File name of the group state inside the data directory. */
export const GROUPS_FILE = "groups";
/** The file's format tag. */
const FORMAT = "p2pchat groups 1";

/** The groups file: loaded once, saved on every change. */
export class GroupFile {
  /** Where the groups are kept. */
  readonly path: string;
  #snapshot: () => readonly GroupRecord[] = () => [];
  #writing: Promise<void> | undefined;
  #again: PromiseWithResolvers<void> | undefined;

  private constructor(path: string) {
    this.path = path;
  }

  /** Loads the groups at `path` (none if missing); refuses a file others can read or that does not hold up. */
  static async load(path: string): Promise<{ file: GroupFile; records: GroupRecord[] }> {
    const file = new GroupFile(path);
    const bytes = await readPrivateFile(path);
    if (bytes === null) return { file, records: [] };
    try {
      const parsed = JSON.parse(new TextDecoder().decode(bytes));
      if (parsed?.format !== FORMAT || !Array.isArray(parsed.groups)) {
        throw new TypeError("not a groups file");
      }
      return { file, records: parsed.groups.map(recordFromJson) };
    } catch (cause) {
      throw new StorageError(
        "malformed",
        path,
        `Cannot read ${path}: it is not p2pchat's group state (${
          errorMessage(cause)
        }); fix or remove it`,
        { cause },
      );
    }
  }

  /** Where save() reads the records from (the book's, as they are at write time). */
  track(snapshot: () => readonly GroupRecord[]): void {
    this.#snapshot = snapshot;
  }

  /** Writes the records as they are by the time the write starts; resolves once on disk. */
  save(): Promise<void> {
    if (!this.#writing) return this.#write();
    // A write is on its way: the next one, shared by every change until it starts, follows it.
    this.#again ??= Promise.withResolvers<void>();
    return this.#again.promise;
  }

  #write(): Promise<void> {
    const text = JSON.stringify({ format: FORMAT, groups: this.#snapshot().map(recordToJson) });
    const writing = writePrivateFile(this.path, text);
    this.#writing = writing;
    const next = (): void => {
      this.#writing = undefined;
      const again = this.#again;
      this.#again = undefined;
      if (again) this.#write().then(again.resolve, again.reject);
    };
    writing.then(next, next);
    return writing;
  }
}
