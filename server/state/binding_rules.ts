/**
 * The directory's rules for name bindings (docs/protocol.md §9.3), once,
 * for every store: whether a key may bind a name now (taken, free or
 * expired; a binding with no key binds nothing), whether a new binding looks
 * like another key's (and whose), when a binding lapses and when its
 * last-use time is rewritten, and what a page of `list` holds. Pure: no
 * I/O, the time is passed in. The SQLite registry and the Redis store read
 * the facts, ask these functions, and write what they answer; Redis keeps
 * only the atomic compare-and-set of what was decided here.
 *
 * @example
 * ```ts
 * import { decideRegistration } from "./binding_rules.ts";
 *
 * const decision = decideRegistration({
 *   name: "caro1" as never,
 *   key: "a2V5Mg==",
 *   now: 1_000,
 *   ttlMs: 30 * 86_400_000,
 *   current: undefined,
 *   lookalikes: () => [{ nameKey: "carol" as never, name: "carol", key: "a2V5MQ==", lastUsed: 900, online: false }],
 * });
 * console.log(decision); // { kind: "confusable", other: "carol" }
 * ```
 *
 * @module
 */
import {
  DirectoryError,
  InvalidNameError,
  isLegacyName,
  type Name,
  type NameKey,
} from "../../protocol/mod.ts";

/** Default time a name stays bound while unused: 30 days. */
export const DEFAULT_NAME_TTL_MS = 30 * 24 * 3600 * 1000;
/** A binding in use has its last-use time rewritten at most this often (to spare the store). */
export const REFRESH_INTERVAL_MS = 3600 * 1000;
/**
 * How long past its lapse a store may keep a binding before collecting it
 * (Redis key expiry): the rules decide from the last use, and instances
 * whose clocks differ by less than this agree.
 */
export const GARBAGE_MARGIN_MS = 3600 * 1000;

/** What the rules need to know of a stored binding, whichever store holds it. */
export type BindingFacts = {
  /** The name as its owner spelled it. */
  readonly name: string;
  /** The identity key it binds (base64); "" binds no key. */
  readonly key: string;
  /** Milliseconds since the epoch when the name was last used. */
  readonly lastUsed: number;
  /** Whether the name is online now (on any instance). */
  readonly online: boolean;
};

/** A binding whose name has the same confusable skeleton as the one asked for. */
export type Lookalike = BindingFacts & { readonly nameKey: NameKey };

/** What a registration (or a re-assertion after the store lost data) is decided on. */
export type RegistrationInput = {
  readonly name: Name;
  /** The registering identity key (base64). */
  readonly key: string;
  readonly now: number;
  readonly ttlMs: number;
  /** The binding of the name's key, if the store holds one. */
  readonly current: BindingFacts | undefined;
  /** The other bindings with the name's skeleton; asked for only when the name is new to the key. */
  readonly lookalikes: () => readonly Lookalike[];
};

/** What the rules decide for a registration. */
export type RegistrationDecision =
  /** The name is bound to another key and live: `bound` is its spelling. */
  | { readonly kind: "taken"; readonly bound: string }
  /** The name is new to this key and looks like `other`, live and another key's. */
  | { readonly kind: "confusable"; readonly other: string }
  /**
   * The key may have the name. `write`: the stored binding must be written
   * (new, respelled, or due for a refresh), with `lastUsed`. `fresh`: the
   * name was not this key's before, so a prekey kept for it is not this key's.
   */
  | {
    readonly kind: "bind";
    readonly write: boolean;
    readonly fresh: boolean;
    readonly lastUsed: number;
  };

/** Whether `binding` binds a key at all (a binding with an empty key binds nobody). */
export function holdsKey(binding: BindingFacts): boolean {
  return binding.key !== "";
}

/** When a binding last used at `lastUsed` lapses, unless its name is online then. */
export function lapsesAt(lastUsed: number, ttlMs: number): number {
  return lastUsed + ttlMs;
}

/** Whether `binding` holds its name at `now`: it binds a key, and it is online or used within the TTL. */
export function isLive(binding: BindingFacts, now: number, ttlMs: number): boolean {
  return holdsKey(binding) && (binding.online || now < lapsesAt(binding.lastUsed, ttlMs));
}

/** How often the bindings of names online are refreshed: hourly, or twice per TTL when shorter. */
export function refreshIntervalMs(ttlMs: number): number {
  return Math.max(1, Math.min(REFRESH_INTERVAL_MS, Math.floor(ttlMs / 2)));
}

/** Whether a binding in use, last written with `lastUsed`, is due for its last-use time to be rewritten. */
export function refreshDue(lastUsed: number, now: number, ttlMs: number): boolean {
  return now - lastUsed >= refreshIntervalMs(ttlMs);
}

/**
 * Decides whether `input.key` may have `input.name` now. A live binding of
 * another key refuses it (`taken`). A name new to the key (never bound,
 * lapsed, or bound to no key) is refused when it looks like a live binding
 * of another key (`confusable`, naming the first such binding in name-key
 * order); a key may hold look-alikes of its own, and look-alike bindings
 * made before this rule stay with their owners because the check runs only
 * for names new to the key.
 */
export function decideRegistration(input: RegistrationInput): RegistrationDecision {
  const { current, key, now, ttlMs } = input;
  const mine = current !== undefined && isLive(current, now, ttlMs);
  if (mine && current.key !== key) return { kind: "taken", bound: current.name };
  if (!mine) {
    const blocking = input.lookalikes()
      .filter((other) => isLive(other, now, ttlMs) && other.key !== key)
      .sort((a, b) => (a.nameKey < b.nameKey ? -1 : a.nameKey > b.nameKey ? 1 : 0));
    if (blocking.length > 0) return { kind: "confusable", other: blocking[0].name };
    return { kind: "bind", write: true, fresh: true, lastUsed: now };
  }
  const write = current.name !== input.name || refreshDue(current.lastUsed, now, ttlMs);
  return { kind: "bind", write, fresh: false, lastUsed: write ? now : current.lastUsed };
}

/** What to do with the prekey kept with a binding at a registration. */
export type PrekeyChange = "put" | "drop" | "keep";

/**
 * The prekey kept with a binding (docs/protocol.md §12.1) follows it: a
 * registration that carries one puts it when it differs from the one kept
 * (or the name is new to the key); one without keeps the old prekey only if
 * the name stayed with the same key, since another key's prekey is not the
 * new owner's.
 */
export function prekeyChange(
  decision: Extract<RegistrationDecision, { kind: "bind" }>,
  prekey: { given: boolean; sameAsKept: boolean },
): PrekeyChange {
  if (prekey.given) return decision.fresh || !prekey.sameAsKept ? "put" : "keep";
  return decision.fresh ? "drop" : "keep";
}

/**
 * The name a legacy spelling (`text`, bound before names had to start and
 * end with a letter or digit) stands for, if `binding` is live and `key`'s.
 */
export function legacyName(
  text: string,
  binding: BindingFacts | undefined,
  facts: { key: string; now: number; ttlMs: number },
): Name | undefined {
  if (!isLegacyName(text) || binding === undefined) return undefined;
  return isLive(binding, facts.now, facts.ttlMs) && binding.key === facts.key
    ? binding.name as Name
    : undefined;
}

/** What `p2pchat store copy` does with one binding. */
export type ImportDecision = "copied" | "present" | "conflict" | "expired";

/**
 * Decides the copy of a binding (`key`, last used at `lastUsed`) into a
 * store holding `current` for its name: a lapsed one is not copied; a live
 * binding there is `present` (same key) or a `conflict` (another key) and is
 * never replaced; otherwise it is copied, keeping its last use. A copy
 * keeps what was bound, look-alikes made before the rule included.
 */
export function decideImport(input: {
  readonly key: string;
  readonly lastUsed: number;
  readonly current: BindingFacts | undefined;
  readonly now: number;
  readonly ttlMs: number;
}): ImportDecision {
  if (input.now >= lapsesAt(input.lastUsed, input.ttlMs)) return "expired";
  const { current } = input;
  if (current !== undefined && isLive(current, input.now, input.ttlMs)) {
    return current.key === input.key ? "present" : "conflict";
  }
  return "copied";
}

/** The refusal a decision stands for, naming what the user asked for: `asked`. */
export function refusalFor(
  decision: Exclude<RegistrationDecision, { kind: "bind" }>,
  asked: string,
): DirectoryError {
  if (decision.kind === "taken") {
    const spelled = decision.bound === asked
      ? ""
      : ` (bound as ${decision.bound}: case does not matter)`;
    return new DirectoryError(
      "name-taken",
      `The name ${asked} belongs to another key${spelled}. Choose another name.`,
    );
  }
  return new InvalidNameError(
    "name-confusable",
    `The name ${asked} looks like ${decision.other}, which belongs to someone else. ` +
      "Choose a name that does not.",
  );
}

/** The refusal of a second registration on one session. */
export function alreadyRegistered(): DirectoryError {
  return new DirectoryError(
    "already-registered",
    "This session is registered already; reconnect to change names",
  );
}

/**
 * Why a session re-asserted after the store lost its data cannot keep its
 * name, for its closing notice.
 */
export function lostNameMessage(
  decision: Exclude<RegistrationDecision, { kind: "bind" }>,
  name: string,
): string {
  return decision.kind === "taken"
    ? `While the directory's store was away, another key registered the name ${name}; ` +
      "it is no longer yours here. Reconnect with another name."
    : `While the directory's store was away, another key registered ${decision.other}, ` +
      `which looks like your name ${name}; ${name} cannot be restored. Reconnect with another name.`;
}

/** A page of `list` to read from a store's sorted index of online name keys. */
export type ListWindow = {
  /** Only keys starting with this (lower case). */
  readonly prefix: string;
  /** Where the page starts in name-key order. */
  readonly start: string;
  /** Whether `start` itself is excluded (it is the `after` cursor). */
  readonly exclusive: boolean;
  /** Keys to read: one more than the page holds, to tell whether there is more. */
  readonly read: number;
  /** Entries the page holds at most. */
  readonly limit: number;
};

/**
 * The window of a `list` request: names starting with `prefix`
 * (case-insensitive), in name order, after the name `after` when it is at or
 * past the prefix, at most `limit`.
 */
export function listWindow(
  options: { prefix?: string; after?: string; limit: number },
): ListWindow {
  const prefix = (options.prefix ?? "").toLowerCase();
  const after = options.after?.toLowerCase();
  const fromCursor = after !== undefined && after >= prefix;
  return {
    prefix,
    start: fromCursor ? after : prefix,
    exclusive: fromCursor,
    read: options.limit + 1,
    limit: options.limit,
  };
}

/** Whether `key`, read at or past the window's start, still belongs to it. */
export function inWindow(window: ListWindow, key: string): boolean {
  return key.startsWith(window.prefix) && (!window.exclusive || key !== window.start);
}

/**
 * The page, from what the store read in order from the window's start (at
 * most `window.read` entries; undefined for a user who left meanwhile):
 * the first `limit` users, and whether another page exists.
 */
export function listPage<T>(
  window: ListWindow,
  found: readonly (T | undefined)[],
): { users: T[]; more: boolean } {
  return {
    users: found.slice(0, window.limit).filter((user): user is T => user !== undefined),
    more: found.length > window.limit,
  };
}
