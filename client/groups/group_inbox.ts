/**
 * Frames from members, taken (docs/protocol.md §13.2, §13.3): the checks each
 * kind must pass before anything is shown or changed, in one place whether
 * the frame came over a link or as mail. A membership counts only if the
 * group's admin signed it and it is newer than the one held; a message only
 * if its sender is a member (name and key) of the latest membership held,
 * once, and in its sender's order; the admin's side takes joins, declines
 * and leaves and signs the change.
 *
 * @module
 */
import { nameKey } from "../../protocol/mod.ts";
import { PeerProtocolError } from "../core/mod.ts";
import { decodeFrameBytes, type GroupFrame } from "./group_frames.ts";
import { about, type GroupAction, memberList, type Peer, show } from "./group_events.ts";
import { type GroupRecord, INVITE_TTL_MS, newRecord } from "./group_record.ts";
import {
  deliver,
  fault,
  type FrameEvent,
  type GroupState,
  MAX_INVITATIONS,
  MAX_INVITATIONS_PER_INVITER,
  save,
} from "./group_state.ts";
import { takeAck, takeMessage } from "./group_messages.ts";
import {
  isMember,
  MAX_MEMBERS,
  memberByName,
  type Membership,
  openMembership,
  type Signed,
  toWire,
  type WireMembership,
} from "./membership.ts";

export type { FrameEvent };
type Of<T extends GroupFrame["type"]> = Extract<GroupFrame, { type: T }>;

/** What to do with one frame from a member (or someone claiming to be one). */
export function takeFrame(s: GroupState, e: FrameEvent): GroupAction[] {
  const { frame, from } = e;
  switch (frame.type) {
    case "group-part":
      return e.via === "mail"
        ? parts(s, e, frame)
        : fault(s, e, "peer-protocol", "a part on a link");
    case "group-invite":
      return invited(s, e, frame);
    case "group-membership":
      return membership(s, e, frame);
    case "group-msg":
      return takeMessage(s, e, frame);
    case "group-ack":
      return takeAck(s, e, frame);
    case "group-sync": {
      const r = joinedWith(s, frame.group, from);
      if (!r || frame.version >= r.signed.membership.version) return [];
      return [{ type: "deliver", to: from, frames: [membershipFrame(r)] }];
    }
    case "group-join":
      return join(s, e, frame);
    case "group-decline": {
      const r = adminOf(s, frame.group);
      const invite = r?.invites.get(nameKey(from.name));
      if (!r || invite?.fingerprint !== from.fingerprint) return [];
      r.invites.delete(nameKey(from.name));
      return [show({ type: "group-declined", ...about(r), name: from.name }), save()];
    }
    case "group-leave": {
      const r = adminOf(s, frame.group);
      if (!r || !isMember(r.signed.membership, from.name, from.fingerprint)) return [];
      if (from.fingerprint === s.ctx.self.fingerprint) return [];
      const members = r.signed.membership.members.filter((m) => m.fingerprint !== from.fingerprint);
      s.change(r, members, { kind: "leave", name: from.name }, e.now);
      prune(r);
      return [
        ...s.others(r).map((to) => deliver(to, membershipFrame(r))),
        show({ type: "group-member-removed", ...about(r), name: from.name, by: from.name }),
        save(),
      ];
    }
  }
}

/** The frame that gives `r`'s latest membership. */
export function membershipFrame(r: GroupRecord): GroupFrame {
  return { type: "group-membership", group: r.id, ...toWire(r.signed) };
}

/** `group` if we are a member and `from` is too. */
function joinedWith(s: GroupState, group: string, from: Peer): GroupRecord | undefined {
  const r = s.records.get(group);
  if (r?.status !== "joined") return undefined;
  return isMember(r.signed.membership, from.name, from.fingerprint) ? r : undefined;
}

function adminOf(s: GroupState, group: string): GroupRecord | undefined {
  const r = s.records.get(group);
  return r?.status === "joined" && s.isAdmin(r) ? r : undefined;
}

/** Opens a membership: the signed document, or why not (`forged`: not the admin's signature). */
function open(w: WireMembership): Signed | { rule: string } {
  try {
    return openMembership(w);
  } catch (error) {
    if (error instanceof PeerProtocolError) return { rule: error.message };
    throw error;
  }
}

function parts(s: GroupState, e: FrameEvent, part: Of<"group-part">): GroupAction[] {
  const got = s.parts.take(e.from.fingerprint, part, e.now);
  if (got.kind === "waiting") return [];
  if (got.kind === "bad") return fault(s, e, "peer-protocol", got.rule);
  let frame: GroupFrame;
  try {
    frame = decodeFrameBytes(got.bytes);
  } catch (error) {
    if (!(error instanceof PeerProtocolError)) throw error;
    return fault(s, e, "peer-protocol", error.message);
  }
  if (frame.type === "group-part" || frame.group !== part.group) {
    return fault(s, e, "peer-protocol", "the parts make another part, or another group's frame");
  }
  return takeFrame(s, { ...e, frame });
}

function invited(s: GroupState, e: FrameEvent, frame: Of<"group-invite">): GroupAction[] {
  const opened = open(frame);
  if ("rule" in opened) return fault(s, e, "peer-protocol", opened.rule);
  const m = opened.membership;
  if (m.group !== frame.group) {
    return fault(s, e, "peer-protocol", "an invitation to another group");
  }
  // Only a group's admin invites: a member passing on someone else's group is not.
  if (
    m.admin.fingerprint !== e.from.fingerprint || nameKey(m.admin.name) !== nameKey(e.from.name)
  ) {
    return fault(s, e, "not-admin", "an invitation from someone who is not the group's admin");
  }
  const held = s.records.get(m.group);
  if (s.listsUs(m) || (held && held.status !== "invited")) return [];
  if (held && m.version < held.signed.membership.version) return [];
  const inviter = { name: e.from.name, fingerprint: e.from.fingerprint, known: e.known, at: e.now };
  const pending = s.list.filter((r) => r.status === "invited" && r.id !== m.group);
  const theirs = pending.filter((r) => r.inviter?.fingerprint === e.from.fingerprint);
  // Bounded: one inviter cannot crowd out the others, and the oldest invitation goes first.
  if (theirs.length >= MAX_INVITATIONS_PER_INVITER) s.drop(theirs[0]);
  else if (pending.length >= MAX_INVITATIONS) s.drop(pending[0]);
  if (held) s.drop(held);
  const r = newRecord(opened, "invited", inviter);
  s.records.set(r.id, r);
  return [
    show({
      type: "group-invite",
      ...about(r),
      from: e.from.name,
      fingerprint: e.from.fingerprint,
      known: e.known,
      version: m.version,
      members: memberList(m),
    }),
    save(),
  ];
}

function membership(s: GroupState, e: FrameEvent, frame: Of<"group-membership">): GroupAction[] {
  const r = s.records.get(frame.group);
  if (!r || r.status === "invited") return [];
  const held = r.signed.membership;
  // Whoever passes it on, a membership counts by its admin's signature alone: a member we do
  // not hold yet brings the very version that lists them.
  const opened = open(frame);
  if ("rule" in opened) {
    return fault(s, e, opened.rule.includes("signed") ? "not-admin" : "peer-protocol", opened.rule);
  }
  const m = opened.membership;
  if (m.group !== r.id || m.title.toLowerCase() !== held.title.toLowerCase()) {
    return fault(s, e, "peer-protocol", "a membership of another group, or with another title");
  }
  if (m.admin.fingerprint !== held.admin.fingerprint) {
    return fault(s, e, "not-admin", "a membership signed by someone other than the group's admin");
  }
  if (m.version === held.version) {
    return opened.digest === r.signed.digest ? [] : fault(s, e, "membership-conflict");
  }
  if (m.version < held.version) {
    // A late copy of a version taken before is no news; one never held is a replay.
    return r.digests.includes(opened.digest)
      ? []
      : fault(s, e, "old-membership", `version ${m.version}`);
  }
  return [...newer(s, r, opened, e.now), save()];
}

/** Takes a newer membership for `r`: joined, removed, or who came and went, and what waited for it. */
function newer(s: GroupState, r: GroupRecord, signed: Signed, now: number): GroupAction[] {
  const before = r.signed.membership;
  const after = signed.membership;
  s.take(r, signed);
  prune(r);
  if (!s.listsUs(after)) {
    if (r.status === "joining") return [];
    s.drop(r);
    return [show({ type: "group-left", ...about(r), reason: "removed" })];
  }
  const actions: GroupAction[] = [];
  if (r.status === "joining") {
    r.status = "joined";
    actions.push(
      { type: "pin", name: after.admin.name, fingerprint: after.admin.fingerprint },
      show({ type: "group-joined", ...about(r), members: memberList(after) }),
    );
  } else {
    actions.push(...changes(s, before, after, r));
  }
  const waiting = s.future.get(r.id) ?? [];
  s.future.delete(r.id);
  for (const f of waiting) {
    actions.push(...takeMessage(s, { type: "frame", ...f, known: "pinned", now }, f.frame));
  }
  return actions;
}

/** Who came and who went between two versions, as events. */
function changes(
  s: GroupState,
  before: Membership,
  after: Membership,
  r: GroupRecord,
): GroupAction[] {
  const self = s.ctx.self.fingerprint;
  const keys = (m: Membership) => new Set(m.members.map((x) => x.fingerprint));
  const had = keys(before);
  const has = keys(after);
  const by = after.change.kind === "leave" ? after.change.name : after.admin.name;
  return [
    ...after.members.filter((x) => !had.has(x.fingerprint) && x.fingerprint !== self).map((x) =>
      show({ type: "group-member-added", ...about(r), name: x.name, by: after.admin.name })
    ),
    ...before.members.filter((x) => !has.has(x.fingerprint) && x.fingerprint !== self).map((x) =>
      show({ type: "group-member-removed", ...about(r), name: x.name, by })
    ),
  ];
}

/** Our messages stop waiting for anyone no longer a member (nothing more goes to them). */
export function prune(r: GroupRecord): void {
  const keys = new Set(r.signed.membership.members.map((m) => m.fingerprint));
  for (const fp of [...r.since.keys()]) if (!keys.has(fp)) r.since.delete(fp);
  for (const sent of [...r.outbox]) {
    for (const fp of [...sent.to.keys()]) if (!keys.has(fp)) sent.to.delete(fp);
    if ([...sent.to.values()].every((t) => t.delivered)) r.outbox.splice(r.outbox.indexOf(sent), 1);
  }
}

function join(s: GroupState, e: FrameEvent, frame: Of<"group-join">): GroupAction[] {
  const r = adminOf(s, frame.group);
  if (!r) return [];
  const m = r.signed.membership;
  if (isMember(m, e.from.name, e.from.fingerprint)) {
    return [deliver(e.from, membershipFrame(r))]; // It missed the version that let it in.
  }
  const invite = r.invites.get(nameKey(e.from.name));
  if (invite?.fingerprint !== e.from.fingerprint || e.now - invite.at > INVITE_TTL_MS) return [];
  const old = memberByName(m, e.from.name);
  const members = [...m.members.filter((x) => x !== old), invite];
  if (members.length > MAX_MEMBERS) return [];
  r.invites.delete(nameKey(e.from.name));
  s.change(r, members, { kind: old ? "rekey" : "add", name: invite.name }, e.now);
  prune(r);
  return [
    ...s.others(r).map((to) => deliver(to, membershipFrame(r))),
    show({ type: "group-member-added", ...about(r), name: invite.name, by: s.ctx.self.name }),
    save(),
  ];
}
