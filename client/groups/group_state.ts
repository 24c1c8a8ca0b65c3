/**
 * The group book's state and the rules both its halves use (the commands,
 * `group_book.ts`, and the frames that come in, `group_inbox.ts`): the
 * records by id, which group is the current conversation, the messages held
 * for a membership not yet received, the parts of large frames, and making,
 * signing and taking a new version.
 *
 * @module
 */
import { nameKey } from "../../protocol/mod.ts";
import type { ClientProblem } from "../core/mod.ts";
import type { GroupFrame } from "./group_frames.ts";
import {
  type GroupAction,
  type GroupEvent,
  type GroupReads,
  groupWarning,
  type GroupWarningReason,
  type Peer,
  type Via,
} from "./group_events.ts";
import { type GroupRecord, MAX_DIGESTS, type Status } from "./group_record.ts";
import type { Change, Member, Membership, Signed } from "./membership.ts";
import { PartsAssembler } from "./mail_parts.ts";
import { GAP_WAIT_MS } from "./sender_order.ts";
import { resolveGroup } from "./titles.ts";

/** Most groups a client belongs to or is joining. */
export const MAX_GROUPS = 100;
/** Most invitations waiting for an answer at once; beyond, the oldest goes. */
export const MAX_INVITATIONS = 16;
/** Most of those from one inviter. */
export const MAX_INVITATIONS_PER_INVITER = 4;
/** Most messages held in all, behind gaps or for a membership not yet here. */
export const MAX_HELD_TOTAL = 1000;
/** Most messages held per group for a membership not yet received. */
export const MAX_FUTURE = 256;

/** What the book needs besides its records. */
export type BookContext = {
  /** Who we are. */
  readonly self: Member;
  /** Signs a membership as us (only ever one of our own groups). */
  sign(m: Membership): Signed;
  /** A fresh 128-bit id in hex. */
  randomId(): string;
  readonly reads: GroupReads;
};

/** A message that names a version we do not hold yet, waiting for it. */
export type Future = {
  readonly frame: Extract<GroupFrame, { type: "group-msg" }>;
  readonly from: Peer;
  readonly via: Via;
  readonly at: number;
};

/** The records and what goes with them. */
export class GroupState {
  /** What the book was made with. */
  readonly ctx: BookContext;
  /** Every group and invitation, by id. */
  readonly records = new Map<string, GroupRecord>();
  /** Parts of large frames that came as mail, waiting for the rest. */
  readonly parts = new PartsAssembler();
  /** Messages waiting for a membership version we do not hold yet, by group. */
  readonly future = new Map<string, Future[]>();
  /** The group plain lines go to, when the current conversation is a group. */
  current: string | undefined;

  /** The state of a client that kept `records`. */
  constructor(ctx: BookContext, records: readonly GroupRecord[]) {
    this.ctx = ctx;
    for (const r of records) this.records.set(r.id, r);
  }

  /** Every record, in the order they came. */
  get list(): GroupRecord[] {
    return [...this.records.values()];
  }

  /** The record `ref` names among those in `statuses`, or the problem. */
  find(ref: string, statuses: readonly Status[]): GroupRecord | ClientProblem {
    const entries = this.list.filter((r) => statuses.includes(r.status)).map((r) => ({
      id: r.id,
      title: r.signed.membership.title as string,
      r,
    }));
    const hit = resolveGroup(ref, entries);
    return "problem" in hit ? hit : hit.r;
  }

  /** Groups joined or being joined: what MAX_GROUPS counts. */
  get joinedCount(): number {
    return this.list.filter((r) => r.status !== "invited").length;
  }

  /** Whether we are `r`'s admin. */
  isAdmin(r: GroupRecord): boolean {
    return r.signed.membership.admin.fingerprint === this.ctx.self.fingerprint;
  }

  /** `r`'s members other than us. */
  others(r: GroupRecord): Member[] {
    return r.signed.membership.members.filter((m) => m.fingerprint !== this.ctx.self.fingerprint);
  }

  /** Whether the membership `r` holds lists us. */
  listsUs(m: Membership): boolean {
    const self = this.ctx.self;
    return m.members.some((x) =>
      x.fingerprint === self.fingerprint && nameKey(x.name) === nameKey(self.name)
    );
  }

  /** Signs and takes `r`'s next version with `members`, recording `change`. */
  change(r: GroupRecord, members: readonly Member[], change: Change, now: number): Signed {
    const m = r.signed.membership;
    const signed = this.ctx.sign({ ...m, version: m.version + 1, members, change, time: now });
    this.take(r, signed);
    return signed;
  }

  /** Makes `signed` the membership `r` holds. */
  take(r: GroupRecord, signed: Signed): void {
    r.signed = signed;
    r.digests.push(signed.digest);
    if (r.digests.length > MAX_DIGESTS) r.digests.shift();
  }

  /** Forgets `r` (left, removed, declined). */
  drop(r: GroupRecord): void {
    this.records.delete(r.id);
    this.future.delete(r.id);
    if (this.current === r.id) this.current = undefined;
  }

  /** Messages held in all: behind gaps, and for memberships not yet here. */
  get held(): number {
    let n = 0;
    for (const r of this.records.values()) for (const o of r.orders.values()) n += o.held;
    for (const f of this.future.values()) n += f.length;
    return n;
  }

  /** When the timer is next due: a gap to give up on, a wait for a membership to end. */
  get nextTimer(): number | undefined {
    const times: number[] = [];
    for (const r of this.records.values()) {
      for (const o of r.orders.values()) if (o.releaseAt !== undefined) times.push(o.releaseAt);
    }
    for (const f of this.future.values()) if (f.length > 0) times.push(f[0].at + GAP_WAIT_MS);
    return times.length > 0 ? Math.min(...times) : undefined;
  }
}

/** A frame event. */
export type FrameEvent = Extract<GroupEvent, { type: "frame" }>;

/** Deliver `frame` to `to`. */
export function deliver(to: Member, frame: GroupFrame): GroupAction {
  return { type: "deliver", to, frames: [frame] };
}

/** Write the groups file (with `wait`, before what follows). */
export function save(wait = false): GroupAction {
  return { type: "save", wait };
}

/** A warning for what `e` brought (and, over a link, the link closed): the rule it broke. */
export function fault(
  s: GroupState,
  e: FrameEvent,
  reason: GroupWarningReason,
  detail?: string,
): GroupAction[] {
  const title = s.records.get(e.frame.group)?.signed.membership.title;
  const warning = groupWarning(e.from, { id: e.frame.group, title }, reason, detail);
  return e.via === "link" ? [warning, { type: "drop-link" }] : [warning];
}
