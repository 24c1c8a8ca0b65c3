/**
 * The directory's key-transparency log as the sessions use it
 * (docs/protocol.md §15), over either store: entries are appended by the
 * stores in the very transaction (SQLite) or script (Redis) that writes
 * the binding they log; this file seals them in batches (every
 * SEAL_DELAY_MS, at most SEAL_BATCH at a time), signs a checkpoint after
 * each, keeps the binding map in memory, and answers with proofs.
 *
 * A seal is a compare-and-set on the log's sealed size: when several
 * instances share a store, the one that loses re-reads what the winner
 * sealed and tries again, so every instance serves one history. A reply
 * that lists a binding the map does not show yet (just registered, here
 * or on another instance) waits for the next seal, at most PROOF_WAIT_MS.
 *
 * @module
 */
import type { NameKey } from "../../protocol/mod.ts";
import {
  type CheckpointSigner,
  type LogEntry,
  type MapValue,
  signCheckpoint,
  type SignedCheckpoint,
  verifyCheckpoint,
} from "../../transparency/mod.ts";
import { type Extension, type LogFault, LogState } from "./log_state.ts";
import { loadLog, READ_CHUNK } from "./log_load.ts";
import type { LogBackend } from "./log_store.ts";
import {
  consistencyProof,
  entriesPage,
  type HistoryPage,
  historyPage,
  outOfRange,
} from "./log_queries.ts";

export type { LogBackend };

/** How long an appended entry waits for its batch to be sealed (one signature per batch). */
export const SEAL_DELAY_MS = 25;
/** Most entries one checkpoint adds. */
export const SEAL_BATCH = 256;
/** How long a reply waits for the log to show a binding it lists. */
export const PROOF_WAIT_MS = 2_000;
/** How long to wait before trying a seal again after the store failed. */
const SEAL_RETRY_MS = 1_000;

/** What the log runs with. */
export type KeyLogOptions = {
  /** The directory's identity: it signs the checkpoints. */
  readonly signer: CheckpointSigner & {
    readonly public: { readonly key: Uint8Array; verify(s: Uint8Array, m: Uint8Array): boolean };
  };
  readonly clock: () => number;
  /** Operator events (faults found, reloads, store failures). */
  readonly event?: (event: string, fields: Record<string, string | number>) => void;
  /**
   * No other instance seals this log (a single-process store): what this
   * one sealed is the latest, so a fresh answer needs no read of the store.
   */
  readonly soleWriter?: boolean;
};

/** The proofs a reply carries: one checkpoint, a binding proof per name asked. */
export type Proven = { readonly checkpoint: string; readonly proofs: string[] };

/** The log of one directory (every instance of it). */
export class KeyLog {
  readonly #backend: LogBackend;
  readonly #options: KeyLogOptions;
  #state: LogState;
  /** Entries appended as far as this instance knows (this one's appends at least). */
  #appended: number;
  /** What the log says of names whose last entry is appended but not sealed (local stores). */
  readonly #pending = new Map<string, { head: MapValue; index: number }>();
  #committed = Promise.withResolvers<void>();
  #work: Promise<unknown> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** A refresh queued behind the log's other work, not started: later askers join it. */
  #queuedRefresh: Promise<void> | undefined;
  #closed = false;

  private constructor(
    backend: LogBackend,
    options: KeyLogOptions,
    state: LogState,
    appended: number,
  ) {
    this.#backend = backend;
    this.#options = options;
    this.#state = state;
    this.#appended = appended;
    if (appended > state.size) this.#schedule();
  }

  /** Loads the log kept in `backend`, replaying its entries into the map. */
  static async open(backend: LogBackend, options: KeyLogOptions): Promise<KeyLog> {
    const { state, appended } = await loadLog(backend, options);
    return new KeyLog(backend, options, state, appended);
  }

  /** The latest checkpoint this instance serves. */
  get checkpoint(): SignedCheckpoint {
    return this.#state.checkpoint;
  }

  /** Entries appended, as far as this instance knows. */
  get appended(): number {
    return this.#appended;
  }

  /** What the log last says of the folded `name`, sealed or not (for a store with one writer). */
  head(name: string): MapValue | undefined {
    return this.#pending.get(name)?.head ?? this.#state.value(name) ?? undefined;
  }

  /** A store wrote `entries` as entries `first` onward: remembered, and sealed soon. */
  appendedLocally(first: number, entries: readonly LogEntry[]): void {
    entries.forEach((entry, i) => {
      const value = { state: entry.kind === "bind" ? "bound" : "lapsed", count: entry.count };
      this.#pending.set(entry.name, {
        head: { ...value, key: entry.key } as MapValue,
        index: first + i,
      });
    });
    this.appendedUpTo(first + entries.length);
  }

  /** Entries up to `size` are appended (by this instance, through the shared store): sealed soon. */
  appendedUpTo(size: number): void {
    if (size > this.#appended) this.#appended = size;
    if (this.#appended > this.#state.size) this.#schedule();
  }

  /**
   * The checkpoint and a binding proof for each name, waiting (at most
   * PROOF_WAIT_MS) until the map shows each with the key listed, when one
   * is given; a name with no key gets the map's word as it is. `fresh`
   * first learns what other instances sealed.
   */
  async prove(
    items: readonly { name: NameKey; key?: Uint8Array }[],
    options: { fresh?: boolean } = {},
  ): Promise<Proven> {
    const deadline = this.#options.clock() + PROOF_WAIT_MS;
    // A session's first answer comes from the latest the store sealed, whichever instance
    // sealed it: a client that fails over from another instance never sees this one behind it.
    if (options.fresh && !this.#options.soleWriter) {
      await this.#refresh().catch((error) => this.#failed("refresh", error));
    }
    while (
      !items.every((item) => this.#state.shows(item.name, item.key)) &&
      this.#options.clock() < deadline
    ) {
      if (!await this.#catchUp(deadline)) break;
    }
    const state = this.#state;
    return {
      checkpoint: state.wire,
      proofs: items.map(({ name }) => state.proof(name)),
    };
  }

  /** The latest checkpoint, after learning of what other instances sealed. */
  async latest(): Promise<string> {
    await this.#refresh().catch((error) => this.#failed("refresh", error));
    return this.#state.wire;
  }

  /** The consistency proof between sizes `from` and `to` (both in the log). */
  async consistency(from: number, to: number): Promise<string> {
    await this.#atLeast(to);
    if (from > to) throw outOfRange(`${from} is larger than ${to}`);
    return consistencyProof(this.#backend, from, to);
  }

  /** Entries `from` onward (at most `count`, MAX_LOG_ENTRIES), with the checkpoint they are in. */
  async entries(from: number, count: number): Promise<{ checkpoint: string; entries: string[] }> {
    return entriesPage(this.#backend, await this.#atLeast(from), from, count);
  }

  /**
   * The folded `name`'s entries from index `from` on (at most
   * MAX_HISTORY_ENTRIES), each with its inclusion proof in the checkpoint given.
   */
  history(name: string, from: number): Promise<HistoryPage> {
    return historyPage(this.#backend, this.#state, name, from);
  }

  /** Learns of what other instances sealed (their notice, or a timer's poll). */
  poke(): void {
    this.#refresh().catch((error) => this.#failed("refresh", error));
  }

  /** Stops sealing; what is appended is sealed at the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#wake();
    await this.#work.catch(() => {}); // Failures were logged where they happened.
  }

  /** A state holding at least `size` entries (after a refresh when needed), else log-range. */
  async #atLeast(size: number): Promise<LogState> {
    if (!Number.isSafeInteger(size) || size < 0) throw outOfRange(`${size} is not a log size`);
    if (size > this.#state.size) await this.#refresh();
    if (size > this.#state.size) {
      throw outOfRange(`the log holds ${this.#state.size} entries, not ${size}`);
    }
    return this.#state;
  }

  /** One step towards the log showing more: a seal of what is pending, or what others sealed. */
  async #catchUp(deadline: number): Promise<boolean> {
    if (this.#closed) return false;
    const before = this.#state.size;
    if (this.#appended <= before) {
      await this.#refresh().catch((error) => this.#failed("refresh", error));
      if (this.#state.size > before) return true;
      if (this.#appended <= before) return false;
    }
    this.#schedule();
    // Every seal, or failed attempt at one, wakes the waiters: no timer of their own is needed
    // (a seal is at most SEAL_DELAY_MS away, a retry SEAL_RETRY_MS), and the deadline bounds them.
    await this.#committed.promise;
    return this.#state.size > before && this.#options.clock() < deadline;
  }

  #schedule(delay = SEAL_DELAY_MS): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // Waiters wake after every attempt, whatever came of it: each checks again and its deadline.
      this.#serial(() => this.#sealAll()).then(() => this.#wake(), (error) => {
        this.#failed("seal", error);
        this.#wake();
        this.#schedule(SEAL_RETRY_MS);
      });
    }, delay);
  }

  /** Runs `work` after the log's other work, one at a time. */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#work.then(work, work);
    this.#work = run.catch(() => {});
    return run;
  }

  /**
   * Learns what the store sealed. Callers while one is queued and not yet
   * started join it: its read comes after their call, which is all they
   * need, and a crowd of registrations costs one read, not one each.
   */
  #refresh(): Promise<void> {
    return this.#queuedRefresh ??= this.#serial(async () => {
      this.#queuedRefresh = undefined;
      const stored = await this.#backend.read();
      if (stored.appended > this.#appended) this.#appended = stored.appended;
      await this.#adopt(stored.checkpoint);
      if (this.#appended > this.#state.size) this.#schedule();
    });
  }

  async #sealAll(): Promise<void> {
    while (!this.#closed) {
      const stored = await this.#backend.read();
      if (stored.appended > this.#appended) this.#appended = stored.appended;
      if ((stored.checkpoint?.size ?? 0) !== this.#state.size) {
        await this.#adopt(stored.checkpoint);
        continue;
      }
      const from = this.#state.size;
      if (stored.appended <= from) return;
      const batch = await this.#backend.entries(from, Math.min(stored.appended, from + SEAL_BATCH));
      const extension = this.#state.extend(batch);
      const checkpoint = this.#sign(extension);
      if (await this.#backend.seal(from, extension.nodes, checkpoint)) {
        this.#faults(extension.faults);
        this.#commit(extension.make(checkpoint));
        // All sealed that was appended when read: what came since scheduled a seal of its own.
        if (extension.size >= stored.appended) return;
      }
    }
  }

  #sign(extension: Extension): SignedCheckpoint {
    return signCheckpoint(this.#options.signer, {
      size: extension.size,
      logRoot: extension.logRoot,
      mapRoot: extension.mapRoot,
      // Never earlier than the checkpoint before: times read in order, as sizes do.
      time: Math.max(this.#options.clock(), this.#state.checkpoint.time),
    });
  }

  /** Moves to what the store sealed (`stored`), extending this state or reloading it. */
  async #adopt(stored: SignedCheckpoint | undefined): Promise<void> {
    const size = stored?.size ?? 0;
    if (stored === undefined || size === this.#state.size) return;
    if (size > this.#state.size && verifyCheckpoint(this.#options.signer.public, stored)) {
      let state = this.#state;
      while (state.size < size) {
        const batch = await this.#backend.entries(
          state.size,
          Math.min(size, state.size + READ_CHUNK),
        );
        if (batch.length === 0) break;
        const extension = state.extend(batch);
        this.#faults(extension.faults);
        if (extension.size === size) {
          if (!extension.matches(stored)) break;
          return this.#commit(extension.make(stored));
        }
        // A state on the way, never served: its checkpoint is unsigned.
        state = extension.make({
          size: extension.size,
          logRoot: extension.logRoot,
          mapRoot: extension.mapRoot,
          time: 0,
          signature: new Uint8Array(64),
        });
      }
    }
    // Smaller than ours, or not what its entries make: the store was rolled back or altered.
    this.#options.event?.("transparency-reload", { from: this.#state.size, to: size });
    const { state, appended } = await loadLog(this.#backend, this.#options);
    this.#appended = appended;
    this.#pending.clear();
    this.#commit(state);
  }

  #commit(state: LogState): void {
    this.#state = state;
    for (const [name, { index }] of this.#pending) {
      if (index < state.size) this.#pending.delete(name);
    }
    this.#wake();
  }

  /** Wakes whoever waits for the log to move (it did, or a seal failed). */
  #wake(): void {
    const done = this.#committed;
    this.#committed = Promise.withResolvers<void>();
    done.resolve();
  }

  #faults(faults: readonly LogFault[]): void {
    for (const { index, fault } of faults) {
      this.#options.event?.("transparency-fault", { index, fault });
    }
  }

  #failed(op: string, error: unknown): void {
    this.#options.event?.("transparency-failed", {
      op,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
