/**
 * The directory's state as the sessions see it: bindings (name -> key) and
 * presence (who is online, where), behind one asynchronous interface, so
 * that one process (LocalDirectory: the Registry, with SQLite bindings) and
 * several processes sharing a store (RedisDirectory) serve the same
 * sessions the same way.
 *
 * @module
 */
import type { Name, NameKey, UserEntry, WirePrekey } from "../../protocol/mod.ts";
import { Identity } from "../../crypto/mod.ts";
import type { NameStore } from "./name_store.ts";
import { type BoundName, type ProvenKey, Registry, type Where } from "./registry.ts";
import { KeyLog, type KeyLogOptions } from "./key_log.ts";
import { localBackend } from "./log_store.ts";

export type { BoundName, Where };

/** Where to reach a user for a relay offer: a session here, or one on another instance. */
export type Located<S> =
  | { readonly local: S }
  | {
    readonly remote: { readonly instance: string; readonly session: number; readonly key: NameKey };
  };

/** What a session needs of the directory's state. */
export interface DirectoryState<S> {
  /** Whether `session` registered on this instance. */
  isRegistered(session: S): boolean;
  /** Users online on this instance. */
  readonly localCount: number;
  /** Users online on every instance (as last counted). */
  readonly totalCount: number;
  /** Whether the shared store answers (always, for one process). */
  readonly storeUp: boolean;
  /** Store requests that failed. */
  readonly storeErrors: number;
  /**
   * Puts `session` online under `name` (binding it to `key` if it is free),
   * keeping `prekey` with the binding in the same write. Returns the session
   * it replaced on this instance, if the same key held the name here; a
   * replaced session elsewhere is told through the store. Throws
   * DirectoryError (name-taken, name-confusable, store-unavailable).
   */
  register(
    session: S,
    name: Name,
    key: ProvenKey,
    where: Where,
    prekey?: WirePrekey,
  ): Promise<{ entry: UserEntry; replaced?: S }>;
  /** Takes `session` offline, if it was online; returns the name it had. */
  leave(session: S): Promise<string | undefined>;
  /** The online user called `name`, if any (case-insensitive). */
  lookup(name: Name): Promise<UserEntry | undefined>;
  /** Online users by prefix, in name order, after `after`, at most `limit`. */
  list(
    options: { prefix?: string; limit: number; after?: string },
  ): Promise<{ users: UserEntry[]; more: boolean }>;
  /** Where the online user `name` can be offered a relay. */
  locate(name: Name): Promise<Located<S> | undefined>;
  /** Hands a relay offer to a user online on another instance (through the store). */
  offerRemote(
    to: Extract<Located<S>, { remote: unknown }>["remote"],
    offer: { from: string; token: string; relay: string; budget?: number },
  ): Promise<void>;
  /** Tells a user online on another instance that mail is waiting (through the store). */
  pokeMail(to: Extract<Located<S>, { remote: unknown }>["remote"]): Promise<void>;
  /**
   * The live binding of `name`, online or not: its spelling, key (base64),
   * and the prekey kept with it when that key registered one.
   */
  binding(name: Name): Promise<BoundName | undefined>;
  /** The binding `text` names, if it is a name bound before the current rules to `key`. */
  legacyName(text: string, key: ProvenKey): Promise<Name | undefined>;
  /** Periodic housekeeping: bindings online refreshed, expired ones collected. */
  maintain(): Promise<void>;
  /** Releases the state (closes the store). */
  close(): Promise<void>;
  // Key transparency (docs/protocol.md §15).
  /** The log of every binding's changes, which proves what the sessions list. */
  keyLog(): Promise<KeyLog>;
}

/** What a state's key-transparency log runs with: the directory's identity, and its events. */
export type StateLogOptions = {
  /** Signs the log's checkpoints (tests may leave it out: a key of the moment then signs). */
  identity?: KeyLogOptions["signer"];
  /** Operator events of the log. */
  event?: KeyLogOptions["event"];
};

/** One process: the Registry's presence in memory, bindings in a NameStore (SQLite). */
export class LocalDirectory<S> implements DirectoryState<S> {
  readonly #registry: Registry<S>;
  readonly #store: NameStore;
  /** The log, loaded from the store; every write to bindings waits for it. */
  readonly #log: Promise<KeyLog>;

  /** State over `store`, with the clock and name TTL given, its log signed by `identity`. */
  constructor(
    store: NameStore,
    options: { clock: () => number; nameTtlMs?: number } & StateLogOptions,
  ) {
    this.#store = store;
    this.#registry = new Registry<S>(store, options);
    this.#log = KeyLog.open(localBackend(store.log), {
      signer: options.identity ?? Identity.generate(),
      clock: options.clock,
      event: options.event,
      // One process: nobody else seals this store's log.
      soleWriter: true,
    }).then((log) => {
      const adopted = this.#registry.attachLog(log);
      if (adopted > 0) options.event?.("transparency-started", { bindings: adopted });
      this.#registry.purgeExpired();
      return log;
    });
  }

  keyLog(): Promise<KeyLog> {
    return this.#log;
  }

  isRegistered(session: S): boolean {
    return this.#registry.isRegistered(session);
  }

  get localCount(): number {
    return this.#registry.onlineCount;
  }

  get totalCount(): number {
    return this.#registry.onlineCount;
  }

  readonly storeUp = true;
  readonly storeErrors = 0;

  async register(
    session: S,
    name: Name,
    key: ProvenKey,
    where: Where,
    prekey?: WirePrekey,
  ): Promise<{ entry: UserEntry; replaced?: S }> {
    await this.#log;
    return this.#registry.register(session, name, key, where, prekey);
  }

  leave(session: S): Promise<string | undefined> {
    return Promise.resolve(this.#registry.leave(session));
  }

  lookup(name: Name): Promise<UserEntry | undefined> {
    return Promise.resolve(this.#registry.lookup(name));
  }

  list(
    options: { prefix?: string; limit: number; after?: string },
  ): Promise<{ users: UserEntry[]; more: boolean }> {
    return Promise.resolve(this.#registry.list(options));
  }

  locate(name: Name): Promise<Located<S> | undefined> {
    const session = this.#registry.sessionFor(name);
    return Promise.resolve(session === undefined ? undefined : { local: session });
  }

  offerRemote(): Promise<void> {
    // One process has no other instances: locate() never answers remote.
    return Promise.reject(new TypeError("A local directory has no remote users"));
  }

  pokeMail(): Promise<void> {
    return Promise.reject(new TypeError("A local directory has no remote users"));
  }

  binding(name: Name): Promise<BoundName | undefined> {
    return Promise.resolve(this.#registry.binding(name));
  }

  legacyName(text: string, key: ProvenKey): Promise<Name | undefined> {
    return Promise.resolve(this.#registry.legacyName(text, key));
  }

  async maintain(): Promise<void> {
    await this.#log;
    this.#registry.refresh();
    this.#registry.purgeExpired();
  }

  async close(): Promise<void> {
    // A log that failed to load was reported then; the store closes all the same.
    await this.#log.then((log) => log.close(), () => {});
    this.#store.close();
  }
}
