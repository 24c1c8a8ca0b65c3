/**
 * The directory's state for one process and nothing else: who is online
 * (presence, in memory) and which key owns which name (bindings, in a
 * NameStore). No sockets, no timers; the clock is passed in, and every
 * decision about a binding is binding_rules.ts's, as in the Redis store.
 *
 * @module
 */
import {
  type Name,
  type NameKey,
  nameKey,
  nameSkeleton,
  type UserEntry,
  type WirePrekey,
} from "../../protocol/mod.ts";
import { toBase64 } from "../../crypto/mod.ts";
import { encodeEntry, type LogEntry } from "../../transparency/mod.ts";
import type { Binding, NameStore, StoredPrekey } from "./name_store.ts";
import { bindEvents, lapseEvent, type LogHead } from "./log_rules.ts";
import {
  alreadyRegistered,
  type BindingFacts,
  decideRegistration,
  DEFAULT_NAME_TTL_MS,
  isLive,
  legacyName,
  listPage,
  listWindow,
  prekeyChange,
  refreshDue,
  refusalFor,
} from "./binding_rules.ts";

/** An identity proven in the handshake. */
export type ProvenKey = {
  readonly raw: Uint8Array;
  readonly base64: string;
  readonly fingerprint: string;
};

/**
 * Where a user registers from; `observedPort`, for a user behind a NAT, is
 * its connection's source port (hole punching, docs/protocol.md §11.2).
 */
export type Where = { address: string; port: number; addresses?: string[]; observedPort?: number };

/** The entry a registration lists: the name as registered, where from, and the proven key. */
export function userEntry(name: Name, key: ProvenKey, where: Where): UserEntry {
  return {
    name,
    address: where.address,
    port: where.port,
    key: key.base64,
    fingerprint: key.fingerprint,
    addresses: where.addresses ?? [],
    ...(where.observedPort === undefined ? {} : { observedPort: where.observedPort }),
  };
}

/** Whether two prekeys kept with a binding are the same. */
export function samePrekey(a: StoredPrekey | undefined, b: StoredPrekey | undefined): boolean {
  return a !== undefined && b !== undefined && a.key === b.key &&
    a.prekey.key === b.prekey.key && a.prekey.created === b.prekey.created &&
    a.prekey.sig === b.prekey.sig;
}

/** What the registry keeps per online user: `owner` its key (base64), `lastUsed` what its binding says. */
type Presence<S> = {
  readonly entry: UserEntry;
  readonly key: NameKey;
  readonly session: S;
  readonly owner: string;
  lastUsed: number;
};

/** The binding of a name as a session may use it: its spelling, key, and the prekey kept with it. */
export type BoundName = { name: string; key: string; prekey?: WirePrekey };

/** What the registry needs of the key-transparency log (key_log.ts's KeyLog). */
export interface RegistryLog {
  /** What the log last says of the folded `name`, sealed or not. */
  head(name: string): LogHead | undefined;
  /** Entries appended so far: the index of the next. */
  readonly appended: number;
  /** The store wrote `entries` from index `first` on. */
  appendedLocally(first: number, entries: readonly LogEntry[]): void;
}

/** Presence and name bindings. `S` is whatever identifies a session to the caller. */
export class Registry<S> {
  readonly #store: NameStore;
  #log: RegistryLog | undefined;
  readonly #clock: () => number;
  readonly #ttl: number;
  readonly #online = new Map<NameKey, Presence<S>>();
  /** Online name keys in sorted order, for prefix listing without a scan. */
  readonly #sorted: NameKey[] = [];
  readonly #bySession = new Map<S, NameKey>();

  /** Presence over the bindings in `store`, with the clock and name TTL given. */
  constructor(store: NameStore, options: { clock: () => number; nameTtlMs?: number }) {
    this.#store = store;
    this.#clock = options.clock;
    this.#ttl = options.nameTtlMs ?? DEFAULT_NAME_TTL_MS;
  }

  /**
   * From now on, logs every fresh binding and every lapse in `log`, in the
   * transaction that writes it. A log with no entry yet starts with the
   * live bindings the store holds (a store from before the log, or one
   * imported), each as its first bind; returns how many.
   */
  attachLog(log: RegistryLog): number {
    this.#log = log;
    if (log.appended > 0) return 0;
    const now = this.#clock();
    const entries = this.#store.all()
      .filter((binding) => isLive(this.#facts(binding), now, this.#ttl))
      .flatMap((binding) => bindEvents(binding.key, binding.publicKey, undefined, now).entries);
    if (entries.length === 0) return 0;
    this.#store.append({ from: 0, entries: entries.map(encodeEntry) });
    log.appendedLocally(0, entries);
    return entries.length;
  }

  /** How many users are online: exactly what an unbounded `list` would return. */
  get onlineCount(): number {
    return this.#online.size;
  }

  /** A stored binding as the rules see it. */
  #facts(binding: Binding): BindingFacts {
    return {
      name: binding.name,
      key: toBase64(binding.publicKey),
      lastUsed: binding.lastUsed,
      online: this.#online.has(binding.key),
    };
  }

  /**
   * Puts `session` online under `name`, with the prekey it published kept
   * with the binding (one transaction). Returns the session it replaced when
   * the same key reclaims its name from a stale session (the caller closes
   * it). Throws DirectoryError (name-taken, name-confusable, already-registered).
   */
  register(
    session: S,
    name: Name,
    key: ProvenKey,
    where: Where,
    prekey?: WirePrekey,
  ): { entry: UserEntry; replaced?: S } {
    if (this.#bySession.has(session)) throw alreadyRegistered();
    const folded = nameKey(name);
    const now = this.#clock();
    // The key as the rules compare it: what the stored bytes read as.
    const owner = toBase64(key.raw);
    const stored = this.#store.get(folded);
    const decision = decideRegistration({
      name,
      key: owner,
      now,
      ttlMs: this.#ttl,
      current: stored && this.#facts(stored),
      lookalikes: () =>
        this.#store.withSkeleton(nameSkeleton(name))
          .filter((other) => other.key !== folded)
          .map((other) => ({ ...this.#facts(other), nameKey: other.key })),
    });
    if (decision.kind !== "bind") throw refusalFor(decision, name);
    const entry = prekey && { key: owner, prekey };
    const change = prekeyChange(decision, {
      given: entry !== undefined,
      sameAsKept: samePrekey(entry, this.#store.prekey(folded)),
    });
    // A name new to its key is logged, in the binding's own transaction (log_rules.ts).
    const log = this.#log;
    const events = decision.fresh && log
      ? bindEvents(folded, key.raw, log.head(folded), now).entries
      : [];
    const from = log?.appended ?? 0;
    if (decision.write || change !== "keep") {
      this.#store.put(
        { key: folded, name, publicKey: key.raw, lastUsed: decision.lastUsed },
        { change, entry },
        events.length > 0 ? { from, entries: events.map(encodeEntry) } : undefined,
      );
    }
    if (events.length > 0) log!.appendedLocally(from, events);
    const current = this.#online.get(folded);
    let replaced: S | undefined;
    if (current !== undefined) {
      replaced = current.session;
      this.#bySession.delete(current.session);
    } else {
      this.#sorted.splice(lowerBound(this.#sorted, folded), 0, folded);
    }
    const listed = userEntry(name, key, where);
    this.#online.set(folded, {
      entry: listed,
      key: folded,
      session,
      owner,
      lastUsed: decision.lastUsed,
    });
    this.#bySession.set(session, folded);
    return replaced === undefined ? { entry: listed } : { entry: listed, replaced };
  }

  /**
   * The binding `text` names, if `text` is a name bound before the current
   * rules to the key `key`, and live (its owner may go on using it).
   */
  legacyName(text: string, key: ProvenKey): Name | undefined {
    const stored = this.#store.get(text.toLowerCase() as NameKey);
    return legacyName(text, stored && this.#facts(stored), {
      key: toBase64(key.raw),
      now: this.#clock(),
      ttlMs: this.#ttl,
    });
  }

  /** The live binding of `name`, online or not, with the prekey kept with it if it is the key's. */
  binding(name: Name): BoundName | undefined {
    const folded = nameKey(name);
    const stored = this.#store.get(folded);
    if (!stored) return undefined;
    const facts = this.#facts(stored);
    if (!isLive(facts, this.#clock(), this.#ttl)) return undefined;
    const prekey = this.#store.prekey(folded);
    return prekey && prekey.key === facts.key
      ? { name: facts.name, key: facts.key, prekey: prekey.prekey }
      : { name: facts.name, key: facts.key };
  }

  /** Takes `session` offline, if it was online; returns the name it had. Its last use is now. */
  leave(session: S): string | undefined {
    const folded = this.#bySession.get(session);
    if (folded === undefined) return undefined;
    this.#bySession.delete(session);
    const presence = this.#online.get(folded)!;
    this.#online.delete(folded);
    this.#sorted.splice(lowerBound(this.#sorted, folded), 1);
    const binding = this.#store.get(folded);
    if (binding && toBase64(binding.publicKey) === presence.owner) {
      this.#store.put({ ...binding, lastUsed: this.#clock() });
    }
    return presence.entry.name;
  }

  /** The session of the online user called `name`, if any. */
  sessionFor(name: Name): S | undefined {
    return this.#online.get(nameKey(name))?.session;
  }

  /** Whether `session` is registered. */
  isRegistered(session: S): boolean {
    return this.#bySession.has(session);
  }

  /** The online user called `name`, if any (case-insensitive). */
  lookup(name: Name): UserEntry | undefined {
    return this.#online.get(nameKey(name))?.entry;
  }

  /**
   * Online users whose names start with `prefix` (case-insensitive), in name
   * order, after the name `after` when given; at most `limit` (binding_rules.ts).
   */
  list(
    options: { prefix?: string; limit: number; after?: string },
  ): { users: UserEntry[]; more: boolean } {
    const window = listWindow(options);
    let i = lowerBound(this.#sorted, window.start);
    if (window.exclusive && this.#sorted[i] === window.start) i++;
    const found: UserEntry[] = [];
    for (; i < this.#sorted.length && found.length < window.read; i++) {
      if (!this.#sorted[i].startsWith(window.prefix)) break;
      found.push(this.#online.get(this.#sorted[i])!.entry);
    }
    return listPage(window, found);
  }

  /**
   * Rewrites the last use of bindings online whose refresh is due, so that a
   * restart after a crash finds them used recently; returns how many.
   */
  refresh(): number {
    const now = this.#clock();
    let n = 0;
    for (const presence of this.#online.values()) {
      if (!refreshDue(presence.lastUsed, now, this.#ttl)) continue;
      const binding = this.#store.get(presence.key);
      if (!binding || toBase64(binding.publicKey) !== presence.owner) continue;
      this.#store.put({ ...binding, lastUsed: now });
      presence.lastUsed = now;
      n++;
    }
    return n;
  }

  /** Forgets bindings unused for the TTL and more, except for names online now; logs their lapses. */
  purgeExpired(): number {
    const now = this.#clock();
    const log = this.#log;
    const lapses: LogEntry[] = [];
    const from = log?.appended ?? 0;
    const n = this.#store.purge(
      now - this.#ttl,
      (key) => this.#online.has(key),
      log && {
        from,
        lapse: (key) => {
          const lapse = lapseEvent(key, log.head(key), now);
          if (!lapse) return undefined;
          lapses.push(lapse.entry);
          return encodeEntry(lapse.entry);
        },
      },
    );
    if (lapses.length > 0) log!.appendedLocally(from, lapses);
    return n;
  }
}

function lowerBound(sorted: string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
