/**
 * Whether a frame may go to a member, decided without I/O (docs/protocol.md
 * §13.4), with the checks `/chat` makes: the key must be the one the
 * membership lists for the name, and the pin for the name if there is one,
 * and the directory must list that same key. A key that differs stops
 * delivery to that member, with a `key-changed` warning and the key noted so
 * that `/trust` can accept it. The directory's entry passes the trust rules
 * first (vetEntry): its key must be one the log proves.
 *
 * @module
 */
import type { KeyStatus } from "../core/mod.ts";
import {
  type CheckedUser,
  type ProvenUser,
  type TrustAction,
  type TrustView,
  vetEntry,
} from "../trust/mod.ts";
import type { Member } from "./membership.ts";

/** What routing a member may do. */
export type MemberCheck =
  /** Reach the member at `user` (the directory lists its key); `known`: pinned or not. */
  | { readonly kind: "reach"; readonly user: CheckedUser; readonly actions: readonly TrustAction[] }
  /** The member is not online (or nothing says where): mail, sealed to its key. */
  | { readonly kind: "mail"; readonly actions: readonly TrustAction[] }
  /** The key does not hold up: nothing goes, and the user is warned. */
  | { readonly kind: "blocked"; readonly actions: readonly TrustAction[] };

/** How well `member`'s key is known here. */
export function keyStatus(view: TrustView, member: Member): KeyStatus {
  const pin = view.pin(member.name);
  return pin?.fingerprint === member.fingerprint ? (pin.verified ? "verified" : "pinned") : "new";
}

/**
 * The checks for a frame to `member`, given what the directory lists for its
 * name now (`entry`; undefined when nobody online holds it).
 */
export function checkMember(
  view: TrustView,
  member: Member,
  entry: ProvenUser | undefined,
  group?: string,
): MemberCheck {
  const pin = view.pin(member.name);
  if (pin && pin.fingerprint !== member.fingerprint) {
    return {
      kind: "blocked",
      actions: [
        { type: "note-changed", name: member.name, fingerprint: member.fingerprint },
        changed(member, pin.fingerprint, member.fingerprint, group),
      ],
    };
  }
  if (!entry) return { kind: "mail", actions: [] };
  const vetted = vetEntry(view, entry, member.name);
  if (!vetted.value) return { kind: "blocked", actions: vetted.actions };
  if (vetted.value.fingerprint !== member.fingerprint) {
    return {
      kind: "blocked",
      actions: [
        { type: "note-changed", name: member.name, fingerprint: vetted.value.fingerprint },
        changed(member, member.fingerprint, vetted.value.fingerprint, group),
      ],
    };
  }
  return { kind: "reach", user: vetted.value, actions: vetted.actions };
}

function changed(member: Member, expected: string, got: string, group?: string): TrustAction {
  return {
    type: "warn",
    warning: {
      type: "security-warning",
      peer: member.name,
      reason: "key-changed",
      expected,
      got,
      ...(group === undefined ? {} : { group }),
    },
  };
}
