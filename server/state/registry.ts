/**
 * The directory's state and nothing else: who is online (presence) and which
 * key owns which name (bindings). No sockets, no timers; the clock is passed
 * in, so tests are deterministic and a shared store can later replace this.
 *
 * @module
 */
import {
  DirectoryError,
  InvalidNameError,
  isLegacyName,
  type Name,
  type NameKey,
  nameKey,
  nameSkeleton,
  type UserEntry,
} from "../../protocol/mod.ts";
import { equalBytes } from "../../crypto/mod.ts";
import type { NameStore } from "./name_store.ts";

/** An identity proven in the handshake. */
export type ProvenKey = {
  readonly raw: Uint8Array;
  readonly base64: string;
  readonly fingerprint: string;
};

/** The entry a registration lists: the name as registered, where from, and the proven key. */
export function userEntry(
  name: Name,
  key: ProvenKey,
  where: { address: string; port: number; addresses?: string[] },
): UserEntry {
  return {
    name,
    address: where.address,
    port: where.port,
    key: key.base64,
    fingerprint: key.fingerprint,
    addresses: where.addresses ?? [],
  };
}

/** The refusals of a registration, worded once for every store. */
export const refusal = {
  alreadyRegistered: (): DirectoryError =>
    new DirectoryError(
      "already-registered",
      "This session is registered already; reconnect to change names",
    ),
  taken: (bound: string): DirectoryError =>
    new DirectoryError(
      "name-taken",
      `The name ${bound} belongs to another key; choose another name`,
    ),
  confusable: (name: string, other: string): InvalidNameError =>
    new InvalidNameError(
      "name-confusable",
      `The name ${name} looks like ${other}, which belongs to someone else; choose a name that does not`,
    ),
};

/** What the registry keeps per online user. */
type Presence<S> = { readonly entry: UserEntry; readonly key: NameKey; readonly session: S };

/** Default time a name stays bound while unused: 30 days. */
export const DEFAULT_NAME_TTL_MS = 30 * 24 * 3600 * 1000;
/** Bindings are rewritten at most this often for the same name, to spare the store. */
const TOUCH_INTERVAL_MS = 3600 * 1000;

/** Presence and name bindings. `S` is whatever identifies a session to the caller. */
export class Registry<S> {
  readonly #store: NameStore;
  readonly #clock: () => number;
  readonly #ttl: number;
  readonly #online = new Map<NameKey, Presence<S>>();
  /** Online name keys in sorted order, for prefix listing without a scan. */
  readonly #sorted: NameKey[] = [];
  readonly #bySession = new Map<S, NameKey>();

  constructor(store: NameStore, options: { clock: () => number; nameTtlMs?: number }) {
    this.#store = store;
    this.#clock = options.clock;
    this.#ttl = options.nameTtlMs ?? DEFAULT_NAME_TTL_MS;
  }

  /** How many users are online: exactly what an unbounded `list` would return. */
  get onlineCount(): number {
    return this.#online.size;
  }

  /**
   * Puts `session` online under `name`. Returns the session it replaced when
   * the same key reclaims its name from a stale session (the caller closes it).
   */
  register(
    session: S,
    name: Name,
    key: ProvenKey,
    where: { address: string; port: number; addresses?: string[] },
  ): { entry: UserEntry; replaced?: S } {
    if (this.#bySession.has(session)) throw refusal.alreadyRegistered();
    const folded = nameKey(name);
    const now = this.#clock();
    const binding = this.#store.get(folded);
    const current = this.#online.get(folded);
    const bound = binding !== undefined &&
      (current !== undefined || now - binding.lastUsed < this.#ttl);
    if (bound && binding.publicKey.length > 0 && !equalBytes(binding.publicKey, key.raw)) {
      throw refusal.taken(binding.name);
    }
    if (!bound) this.#refuseConfusable(name, key, now);
    if (!bound || now - binding.lastUsed >= TOUCH_INTERVAL_MS || binding.name !== name) {
      this.#store.put({ key: folded, name, publicKey: key.raw, lastUsed: now });
    }
    let replaced: S | undefined;
    if (current !== undefined) {
      replaced = current.session;
      this.#bySession.delete(current.session);
    } else {
      this.#sorted.splice(lowerBound(this.#sorted, folded), 0, folded);
    }
    const entry = userEntry(name, key, where);
    this.#online.set(folded, { entry, key: folded, session });
    this.#bySession.set(session, folded);
    return replaced === undefined ? { entry } : { entry, replaced };
  }

  /**
   * A new binding may not look like another key's live binding: same
   * confusable skeleton (`carol` and `caro1`, `lI` and `ll`). Existing
   * bindings are not touched by this rule.
   */
  #refuseConfusable(name: Name, key: ProvenKey, now: number): void {
    for (const other of this.#store.withSkeleton(nameSkeleton(name))) {
      const live = this.#online.has(other.key) || now - other.lastUsed < this.#ttl;
      if (live && other.key !== nameKey(name) && !equalBytes(other.publicKey, key.raw)) {
        throw refusal.confusable(name, other.name);
      }
    }
  }

  /**
   * The binding `text` names, if `text` is a name bound before the current
   * rules to the key `key` (its owner may go on using it).
   */
  legacyName(text: string, key: ProvenKey): Name | undefined {
    if (!isLegacyName(text)) return undefined;
    const binding = this.#store.get(nameKey(text));
    return binding && equalBytes(binding.publicKey, key.raw) ? binding.name : undefined;
  }

  /** Takes `session` offline, if it was online; returns the name it had. */
  leave(session: S): string | undefined {
    const folded = this.#bySession.get(session);
    if (folded === undefined) return undefined;
    this.#bySession.delete(session);
    const presence = this.#online.get(folded)!;
    this.#online.delete(folded);
    this.#sorted.splice(lowerBound(this.#sorted, folded), 1);
    const binding = this.#store.get(folded);
    if (binding) this.#store.put({ ...binding, lastUsed: this.#clock() });
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
   * order, after the name `after` when given; at most `limit`.
   */
  list(
    options: { prefix?: string; limit: number; after?: string },
  ): { users: UserEntry[]; more: boolean } {
    const prefix = (options.prefix ?? "").toLowerCase();
    const after = options.after?.toLowerCase();
    let i = lowerBound(this.#sorted, prefix);
    if (after !== undefined && after >= prefix) {
      i = lowerBound(this.#sorted, after);
      if (this.#sorted[i] === after) i++;
    }
    const users: UserEntry[] = [];
    for (; i < this.#sorted.length && users.length < options.limit; i++) {
      if (!this.#sorted[i].startsWith(prefix)) return { users, more: false };
      users.push(this.#online.get(this.#sorted[i])!.entry);
    }
    return { users, more: i < this.#sorted.length && this.#sorted[i].startsWith(prefix) };
  }

  /** Forgets bindings unused for longer than the TTL, except for names online now. */
  purgeExpired(): number {
    return this.#store.purge(this.#clock() - this.#ttl, (key) => this.#online.has(key));
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
