/**
 * The group book's vocabulary (`group_book.ts`): what comes in (commands,
 * frames from members over links or mail, a link coming up, the timer),
 * what goes out (show, fail, deliver frames to a member, save, arm the
 * timer), and the events it shows, built from data only.
 *
 * @module
 */
import type { Fingerprint } from "../../crypto/mod.ts";
import type { Name } from "../../protocol/mod.ts";
import type { ClientEvent, ClientProblem, KeyStatus, SecurityWarning } from "../core/mod.ts";
import type { GroupFrame } from "./group_frames.ts";
import type { Member, Membership } from "./membership.ts";
import type { GroupRecord } from "./group_record.ts";

/** Who sent a frame: the name they proved (through the directory or a pin) and the key. */
export type Peer = {
  readonly name: Name;
  readonly fingerprint: Fingerprint;
  readonly key: Uint8Array;
};

/** How a frame came. */
export type Via = "link" | "mail";

/** What comes in. */
export type GroupEvent =
  | { readonly type: "new"; readonly title: string; readonly now: number }
  | { readonly type: "invite"; readonly ref: string; readonly name: Name }
  /** The invitee of an /invite, looked up and checked: its key, and how well we know it. */
  | {
    readonly type: "invitee";
    readonly group: string;
    readonly invitee: Member;
    readonly now: number;
  }
  | { readonly type: "join"; readonly ref: string }
  | { readonly type: "decline"; readonly ref: string }
  /** A line for the group `ref`, or with none, the current group. */
  | { readonly type: "say"; readonly ref?: string; readonly text: string; readonly now: number }
  | { readonly type: "focus"; readonly ref: string }
  /** The current conversation is no longer a group (a chat was chosen). */
  | { readonly type: "unfocus" }
  | { readonly type: "members"; readonly ref: string }
  | { readonly type: "groups" }
  | { readonly type: "remove"; readonly ref: string; readonly name: Name; readonly now: number }
  | { readonly type: "leave"; readonly ref: string; readonly now: number }
  /**
   * A frame from `from`, checked on its own whatever link or mail it came
   * by. `known`: how well we knew the sender's key when it was proven.
   */
  | {
    readonly type: "frame";
    readonly frame: GroupFrame;
    readonly from: Peer;
    readonly via: Via;
    readonly known: KeyStatus;
    readonly now: number;
  }
  /** A link with `peer` is up: what it should know and what it has not shown go out. */
  | { readonly type: "link-up"; readonly peer: Peer; readonly now: number }
  | { readonly type: "tick"; readonly now: number };

/** What the shell is to do. */
export type GroupAction =
  | { readonly type: "show"; readonly event: ClientEvent }
  /** The command fails with this problem. */
  | { readonly type: "fail"; readonly problem: ClientProblem }
  /** Send `frames`, in order, to `to` (the fan-out picks the way). */
  | { readonly type: "deliver"; readonly to: Member; readonly frames: readonly GroupFrame[] }
  /** `fingerprint` showed our messages `ids` (the fan-out stops tracking them). */
  | { readonly type: "acked"; readonly fingerprint: Fingerprint; readonly ids: readonly string[] }
  /** Look the invitee of /invite up and check its key; the result comes back as `invitee`. */
  | { readonly type: "resolve"; readonly group: string; readonly name: Name }
  /** Pin `fingerprint` for `name` on first contact (the admin of a group just joined). */
  | { readonly type: "pin"; readonly name: Name; readonly fingerprint: Fingerprint }
  /** Write the groups file; with `wait`, what follows waits until it is on disk. */
  | { readonly type: "save"; readonly wait: boolean }
  /** The frame that came over a link was a fault: close that link. */
  | { readonly type: "drop-link" }
  /** (Re-)arm the one timer for `at` (ms), or cancel it. */
  | { readonly type: "timer"; readonly at: number | undefined };

/** What the book reads of the rest of the client. */
export type GroupReads = {
  /** Whether `name`'s key `fingerprint` is pinned and verified. */
  verified(name: Name, fingerprint: string): boolean;
};

/** A member as events list them. */
export type MemberInfo = { readonly name: string; readonly fingerprint: string };

/** The members of `m`, as events list them. */
export function memberList(m: Membership): MemberInfo[] {
  return m.members.map((x) => ({ name: x.name, fingerprint: x.fingerprint }));
}

/** A `show` action. */
export function show(event: ClientEvent): GroupAction {
  return { type: "show", event };
}

/** A `fail` action. */
export function fail(problem: ClientProblem): GroupAction {
  return { type: "fail", problem };
}

/** The group fields every group event carries. */
export function about(r: GroupRecord): { group: string; title: string } {
  return { group: r.id, title: r.signed.membership.title };
}

/** Every reason a group frame is refused with a warning. */
export type GroupWarningReason =
  | "not-a-member"
  | "not-admin"
  | "old-membership"
  | "membership-conflict"
  | "peer-protocol";

/** A warning about something `from` sent for `group` (titled `title`, when we hold it). */
export function groupWarning(
  from: Peer,
  group: { readonly id: string; readonly title?: string },
  reason: GroupWarningReason,
  detail?: string,
): GroupAction {
  const warning: SecurityWarning = {
    type: "security-warning",
    peer: from.name,
    reason,
    expected: "",
    got: from.fingerprint,
    group: group.id,
    ...(group.title === undefined ? {} : { title: group.title }),
    ...(detail === undefined ? {} : { detail }),
  };
  return show(warning);
}
