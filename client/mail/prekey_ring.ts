/**
 * The client's prekeys (docs/protocol.md §12.1), in the private file
 * `prekeys` of the data directory: the current one, handed to the
 * directory at each registration, is replaced after PREKEY_ROTATE_MS; the
 * ones before it are kept PREKEY_KEEP_MS so that messages sealed to them
 * while we were away still open; older ones are deleted, and a message
 * sealed to one of them is refused with a reason.
 *
 * @module
 */
import { Prekey } from "../../crypto/mod.ts";
import { StorageError } from "../../storage/mod.ts";
import { readPrivateFile, writePrivateFile } from "../../storage/mod.ts";

/** A prekey is replaced once this old. */
export const PREKEY_ROTATE_MS = 7 * 24 * 3600 * 1000;
/** A replaced prekey still opens messages until it is this old. */
export const PREKEY_KEEP_MS = 30 * 24 * 3600 * 1000;

/** File name of the prekeys inside the data directory. */
export const PREKEYS_FILE = "prekeys";

/** Every prekey kept, newest first. */
export class PrekeyRing {
  readonly #path: string;
  #keys: Prekey[];

  private constructor(path: string, keys: Prekey[]) {
    this.#path = path;
    this.#keys = keys;
  }

  /** Loads the ring at `path` (empty if missing); refuses a file others can read. */
  static async load(path: string): Promise<PrekeyRing> {
    const bytes = await readPrivateFile(path);
    if (bytes === null) return new PrekeyRing(path, []);
    try {
      const list = JSON.parse(new TextDecoder().decode(bytes));
      if (!Array.isArray(list)) throw new TypeError("not a list");
      return new PrekeyRing(path, list.map((p) => Prekey.fromJSON(p)));
    } catch (cause) {
      throw new StorageError(
        "malformed",
        path,
        `Cannot read ${path}: it is not a list of prekeys; remove it (a new one is made, and messages sealed to the old ones will not open)`,
        { cause },
      );
    }
  }

  /** Every prekey still kept at `now`, newest first: what incoming messages may be sealed to. */
  all(now: number): Prekey[] {
    return this.#keys.filter((k) => now - k.created < PREKEY_KEEP_MS);
  }

  /**
   * The prekey to publish at `now`: the newest if younger than
   * PREKEY_ROTATE_MS, else a fresh one. Drops the ones past PREKEY_KEEP_MS
   * and saves the file when anything changed.
   */
  async current(now: number): Promise<Prekey> {
    const kept = this.all(now);
    let changed = kept.length !== this.#keys.length;
    if (kept.length === 0 || now - kept[0].created >= PREKEY_ROTATE_MS) {
      kept.unshift(Prekey.generate(now));
      changed = true;
    }
    this.#keys = kept;
    if (changed) await writePrivateFile(this.#path, JSON.stringify(this.#keys));
    return kept[0];
  }
}
