/**
 * What the client remembers of offline mail (docs/protocol.md §12), in the
 * private file `mail` of the data directory: the messages it sealed that
 * wait for a receipt (what `/mail` lists), and the ids of messages it has
 * shown, so a message the directory delivers twice (at least once) or
 * replays is shown exactly once. Ids are forgotten after SEEN_KEEP_MS; an
 * older message is refused as too old instead, so none can come back.
 *
 * @module
 */
import { StorageError } from "../../storage/mod.ts";
import { readPrivateFile, writePrivateFile } from "../../storage/mod.ts";
import { PREKEY_KEEP_MS } from "./prekey_ring.ts";

/** How long the id of a shown message is remembered: as long as a prekey opens anything. */
export const SEEN_KEEP_MS: number = PREKEY_KEEP_MS;
/** Most messages waiting for a receipt; older ones are reported undelivered past this. */
export const MAX_OUTBOX = 1000;

/** File name of the mail state inside the data directory. */
export const MAIL_FILE = "mail";

/** A message sealed and left at the directory, waiting for its receipt. */
export type Outgoing = {
  readonly id: string;
  readonly peer: string;
  /** The recipient's identity key, base64: only its receipt counts. */
  readonly key: string;
  readonly text: string;
  /** When it was sent and when the directory drops it (ms). */
  readonly time: number;
  readonly expires: number;
};

type State = { outbox: Outgoing[]; seen: Record<string, number> };

/** The outbox and the seen ids, saved on every change. */
export class MailBook {
  readonly #path: string;
  readonly #state: State;
  readonly #maxOutbox: number;

  private constructor(path: string, state: State, maxOutbox: number) {
    this.#path = path;
    this.#state = state;
    this.#maxOutbox = maxOutbox;
  }

  /** Loads the book at `path` (empty if missing); refuses a file others can read. */
  static async load(path: string, maxOutbox = MAX_OUTBOX): Promise<MailBook> {
    const bytes = await readPrivateFile(path);
    if (bytes === null) return new MailBook(path, { outbox: [], seen: {} }, maxOutbox);
    try {
      const state = JSON.parse(new TextDecoder().decode(bytes)) as State;
      if (!Array.isArray(state.outbox) || typeof state.seen !== "object") {
        throw new TypeError("not a mail book");
      }
      return new MailBook(path, state, maxOutbox);
    } catch (cause) {
      throw new StorageError(
        "malformed",
        path,
        `Cannot read ${path}: it is not p2pchat's mail state; fix or remove it`,
        { cause },
      );
    }
  }

  /** Messages waiting for a receipt, oldest first. */
  get outbox(): readonly Outgoing[] {
    return this.#state.outbox;
  }

  /** Adds a sent message; the oldest goes (returned) when the outbox is full. */
  async sent(message: Outgoing): Promise<Outgoing | undefined> {
    this.#state.outbox.push(message);
    const dropped = this.#state.outbox.length > this.#maxOutbox
      ? this.#state.outbox.shift()
      : undefined;
    await this.#save();
    return dropped;
  }

  /** Removes and returns the waiting messages `ids` to the holder of `key` (a receipt's signer). */
  async receipted(key: string, ids: readonly string[]): Promise<Outgoing[]> {
    const hit = this.#state.outbox.filter((m) => m.key === key && ids.includes(m.id));
    if (hit.length > 0) {
      this.#state.outbox = this.#state.outbox.filter((m) => !hit.includes(m));
      await this.#save();
    }
    return hit;
  }

  /** Removes and returns the messages the directory has dropped unread by `now`. */
  async expired(now: number): Promise<Outgoing[]> {
    const gone = this.#state.outbox.filter((m) => m.expires <= now);
    if (gone.length > 0) {
      this.#state.outbox = this.#state.outbox.filter((m) => m.expires > now);
      await this.#save();
    }
    return gone;
  }

  /**
   * Records that message `id` from `sender` (a fingerprint) was shown;
   * false when it was already (a replay or a second delivery).
   */
  async firstSight(sender: string, id: string, now: number): Promise<boolean> {
    const key = `${sender}:${id}`;
    if (key in this.#state.seen) return false;
    this.#state.seen[key] = now;
    for (const [k, at] of Object.entries(this.#state.seen)) {
      if (now - at > SEEN_KEEP_MS) delete this.#state.seen[k];
    }
    await this.#save();
    return true;
  }

  async #save(): Promise<void> {
    await writePrivateFile(this.#path, JSON.stringify(this.#state));
  }
}
