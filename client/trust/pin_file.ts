/**
 * Trust on first use: keys pinned in a private JSON file in the data
 * directory, one for directory servers (`known_servers`) and one for peers
 * (`known_peers`). Writes are atomic; a file others can read is refused.
 *
 * @module
 */
import { readPrivateFile, writePrivateFile } from "../../storage/mod.ts";
import { StorageError } from "../../storage/mod.ts";
import { type Fingerprint, parseFingerprint } from "../../crypto/mod.ts";

/** A pinned key and whether its owner's SAS or fingerprint was compared. */
export type Pin = { readonly fingerprint: Fingerprint; readonly verified: boolean };

/** Pins keyed by a string (a folded name, or `host:port`). */
export class PinFile {
  /** Where the pins are saved. */
  readonly path: string;
  readonly #pins: Map<string, Pin>;
  /** The writes, one after another: two at once could land in either order. */
  #saving: Promise<void> = Promise.resolve();

  private constructor(path: string, pins: Map<string, Pin>) {
    this.path = path;
    this.#pins = pins;
  }

  /** Loads the pins at `path`; a missing file is empty. */
  static async load(path: string): Promise<PinFile> {
    const bytes = await readPrivateFile(path);
    const pins = new Map<string, Pin>();
    if (bytes !== null) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(bytes));
      } catch (cause) {
        throw new StorageError(
          "malformed",
          path,
          `Cannot read ${path}: it is not JSON; fix or remove it`,
          { cause },
        );
      }
      for (
        const [key, value] of Object.entries(
          parsed as Record<string, { fingerprint?: string; verified?: boolean }>,
        )
      ) {
        const fingerprint = parseFingerprint(String(value?.fingerprint ?? ""));
        if (!fingerprint) {
          throw new StorageError(
            "malformed",
            path,
            `Cannot read ${path}: the entry "${key}" has no valid fingerprint; fix or remove it`,
          );
        }
        pins.set(key, { fingerprint, verified: value.verified === true });
      }
    }
    return new PinFile(path, pins);
  }

  /** Every pin, by key. */
  entries(): [string, Pin][] {
    return [...this.#pins];
  }

  /** The pin for `key`, if any. */
  get(key: string): Pin | undefined {
    return this.#pins.get(key);
  }

  /**
   * Pins `pin` under `key`: at once in memory, in the file once the returned
   * promise resolves. Writes go one after another, each with every pin made
   * by then, so the file never loses a pin to a write that overtook another.
   */
  set(key: string, pin: Pin): Promise<void> {
    this.#pins.set(key, pin);
    const saved = this.#saving.then(() => this.#save());
    // The next write waits for this one, failed or not; this one's failure is the caller's.
    this.#saving = saved.catch(() => {});
    return saved;
  }

  async #save(): Promise<void> {
    const object: Record<string, Pin> = {};
    for (const [k, v] of [...this.#pins].sort(([a], [b]) => a.localeCompare(b))) object[k] = v;
    await writePrivateFile(this.path, JSON.stringify(object, null, 2) + "\n");
  }
}
