/**
 * The trust decisions, without I/O (docs/protocol.md §7, §10, §12.4): what
 * to make of a directory's entry, a key refused, a key seen for the first
 * time. Each rule reads the pins through a {@linkcode TrustView} and returns
 * what the shell is to do: warn the user, remember a changed key so that
 * `/trust` can accept it, pin a key. The rules never pin your own key or
 * your own name as a peer's.
 *
 * @module
 */
import type { Fingerprint } from "../../crypto/mod.ts";
import { type Name, nameKey } from "../../protocol/mod.ts";
import type { SecurityWarning } from "../core/mod.ts";
import { type CheckedUser, checkUser, checkUsers, type Inconsistency } from "./directory_check.ts";
import type { KeyVerdict, ProvenUser } from "./log_checks.ts";
import type { Pin } from "./pin_file.ts";
import { admitListed, type Refusal } from "./admission.ts";

/** What the rules read: who you are and the pins on this directory. */
export interface TrustView {
  /** Your own name and key. */
  readonly self: { readonly name: Name; readonly fingerprint: Fingerprint };
  /** The pin for `name`, if any. */
  pin(name: Name): Pin | undefined;
  /** Other names `fingerprint` is pinned under, when it is not pinned under `name`. */
  pinnedUnderOtherNames(name: Name, fingerprint: Fingerprint): string[];
}

/** What a rule asks of the shell. */
export type TrustAction =
  /** Show this warning. */
  | { readonly type: "warn"; readonly warning: SecurityWarning }
  /** Remember this refused key for `name`, so that `/trust` can accept it. */
  | { readonly type: "note-changed"; readonly name: Name; readonly fingerprint: Fingerprint }
  /** Pin this key for `name` (first contact). */
  | { readonly type: "pin"; readonly name: Name; readonly fingerprint: Fingerprint };

/** A rule's verdict: the value it vouches for, if any, and what to do either way. */
export type Verdict<T> = { readonly value?: T; readonly actions: readonly TrustAction[] };

/** Whether `name` is your own (compared folded). */
export function isSelf(view: TrustView, name: string): boolean {
  return name.toLowerCase() === nameKey(view.self.name);
}

/** Whether a peer called `name` proving `fingerprint` is you (your name, or your key). */
export function isSelfPeer(view: TrustView, name: string, fingerprint: string): boolean {
  return isSelf(view, name) || fingerprint === view.self.fingerprint;
}

/** The warning for an entry that does not hold up. */
export function inconsistent(asked: string, problem: Inconsistency): SecurityWarning {
  return {
    type: "security-warning",
    peer: asked,
    reason: "directory-inconsistent",
    expected: problem.computed,
    got: problem.listed,
    problem: problem.problem,
    named: problem.name,
  };
}

/**
 * The directory's entry for `asked`, checked: its own consistency, the
 * name asked, that the log proves its key is the name's (key transparency:
 * an entry without a verdict is not proven), and that it does not pass
 * off a key pinned for someone else (which is remembered, so `/trust` can
 * accept it if they truly use both).
 */
export function vetEntry(view: TrustView, entry: ProvenUser, asked: Name): Verdict<CheckedUser> {
  const checked = checkUser(entry, { name: asked });
  if ("problem" in checked) return { actions: [warn(inconsistent(asked, checked))] };
  if (entry.proven?.ok !== true) {
    return { actions: [warn(unproven(asked, checked.fingerprint, entry.proven))] };
  }
  const others = view.pinnedUnderOtherNames(checked.name, checked.fingerprint);
  if (others.length === 0) return { value: checked, actions: [] };
  return {
    actions: [
      { type: "note-changed", name: checked.name, fingerprint: checked.fingerprint },
      warn(inconsistent(asked, {
        problem: "key-of-another",
        asked,
        name: others[0],
        listed: checked.fingerprint,
        computed: checked.fingerprint,
      })),
    ],
  };
}

/**
 * A `list` answer, checked: the sound entries whose keys the log proves,
 * and a warning for each of the others (one for all, when the directory's
 * log itself is not trusted).
 */
export function vetListing(
  entries: readonly ProvenUser[],
  prefix: string | undefined,
): Verdict<CheckedUser[]> {
  const { users, inconsistencies } = checkUsers(entries, prefix);
  const actions = inconsistencies.map((i) => warn(inconsistent(prefix ?? "", i)));
  const verdicts = new Map(entries.map((e) => [e.name.toLowerCase(), e.proven]));
  const proven: CheckedUser[] = [];
  let logWide: TrustAction | undefined;
  for (const user of users) {
    const verdict = verdicts.get(user.peer);
    if (verdict?.ok === true) proven.push(user);
    else if (verdict && verdict.reason !== "unproven-binding") {
      logWide ??= warn(unproven("", "", verdict));
    } else actions.push(warn(unproven(user.name, user.fingerprint, verdict)));
  }
  return { value: proven, actions: logWide ? [...actions, logWide] : actions };
}

/** The warning for a key the log does not prove (`verdict` undefined: no proof at all). */
export function unproven(
  asked: string,
  got: string,
  verdict: KeyVerdict | undefined,
): SecurityWarning {
  if (verdict === undefined || verdict.ok) {
    return {
      type: "security-warning",
      peer: asked,
      reason: "unproven-binding",
      expected: "",
      got,
      detail: "no-proof",
    };
  }
  return {
    type: "security-warning",
    peer: asked,
    reason: verdict.reason,
    expected: "",
    got,
    ...(verdict.detail ? { detail: verdict.detail } : {}),
    ...(verdict.log ? { log: verdict.log } : {}),
  };
}

/** What a refused key means: a warning, and, for a changed one, remembering it for `/trust`. */
export function refusal(name: Name, decision: Refusal): TrustAction[] {
  const warning: SecurityWarning = {
    type: "security-warning",
    peer: name,
    reason: decision.reason,
    expected: decision.expected,
    got: decision.got,
  };
  return decision.reason === "key-changed"
    ? [{ type: "note-changed", name, fingerprint: decision.got }, warn(warning)]
    : [warn(warning)];
}

/**
 * Whether `fingerprint` may speak for `name` (a mail's signer, a receipt's
 * recipient): it is the key pinned for `name`, or none is yet, and it is not
 * a key pinned for someone else (`keyOfAnother` words that warning).
 */
export function vetKey(
  view: TrustView,
  name: Name,
  fingerprint: Fingerprint,
  keyOfAnother: (named: string) => SecurityWarning,
): Verdict<Fingerprint> {
  const decision = admitListed(view.pin(name), fingerprint);
  if (!decision.admit) return { actions: refusal(name, decision) };
  const others = view.pinnedUnderOtherNames(name, fingerprint);
  if (others.length > 0) return { actions: [warn(keyOfAnother(others[0]))] };
  return { value: fingerprint, actions: [] };
}

/**
 * Pins `fingerprint` for `name` on first contact: nothing when a pin is
 * there already, and never for your own name or your own key.
 */
export function firstContact(view: TrustView, name: Name, fingerprint: Fingerprint): TrustAction[] {
  if (view.pin(name) || isSelfPeer(view, name, fingerprint)) return [];
  return [{ type: "pin", name, fingerprint }];
}

function warn(warning: SecurityWarning): TrustAction {
  return { type: "warn", warning };
}
