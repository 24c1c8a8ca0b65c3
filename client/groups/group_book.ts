/**
 * The group book, without I/O (docs/protocol.md §13): the groups this client
 * is in, the invitations waiting for an answer, which group plain lines go
 * to, and every rule of membership and delivery. Commands, frames from
 * members (`group_inbox.ts`), a link coming up and the timer come in as
 * events; what to do comes out as actions (show this, deliver these frames
 * to that member, save, arm the timer). Time and ids come in with the
 * events and the context; signing a membership is the context's.
 *
 * @module
 */
import { type Name, nameKey } from "../../protocol/mod.ts";
import type { ClientProblem, SecurityWarning } from "../core/mod.ts";
import type { GroupFrame } from "./group_frames.ts";
import { about, fail, type GroupAction, type GroupEvent, show } from "./group_events.ts";
import { membershipFrame, prune, takeFrame } from "./group_inbox.ts";
import { shown } from "./group_messages.ts";
import { resend, say } from "./group_send.ts";
import { type GroupRecord, INVITE_TTL_MS, newRecord } from "./group_record.ts";
import { type BookContext, GroupState, MAX_GROUPS, save } from "./group_state.ts";
import { isMember, MAX_MEMBERS, memberByKey, memberByName, toWire } from "./membership.ts";
import { GAP_WAIT_MS } from "./sender_order.ts";
import { parseTitle } from "./titles.ts";

/**
 * Whether a link opened for a group is let in: from a member; from someone
 * the group is not held for yet (an invitation may come, or a membership
 * newer than ours); or not at all. Whatever comes on a link let in is still
 * checked frame by frame.
 */
export type LinkAdmission =
  | { readonly admit: "member" }
  | { readonly admit: "stranger" }
  | { readonly admit: false; readonly warning?: SecurityWarning };

/** The groups of one client. */
export class GroupBook {
  readonly #s: GroupState;

  /** A book for the client `ctx` describes, holding `records` (from the groups file). */
  constructor(ctx: BookContext, records: readonly GroupRecord[] = []) {
    this.#s = new GroupState(ctx, records);
  }

  /** Every record, for the groups file. */
  get records(): readonly GroupRecord[] {
    return this.#s.list;
  }

  /** The group plain lines go to, if the current conversation is one. */
  get current(): { readonly group: string; readonly title: string } | undefined {
    const r = this.#s.current === undefined ? undefined : this.#s.records.get(this.#s.current);
    return r ? about(r) : undefined;
  }

  /** Quitting: the file may say the very numbers used, not the blocks reserved. */
  settle(): void {
    for (const r of this.#s.list) r.reserved = r.seq;
  }

  /** The version of `group`'s membership we hold (0: none). */
  version(group: string): number {
    return this.#s.records.get(group)?.signed.membership.version ?? 0;
  }

  /** `#TITLE` of every group and invitation, for completion. */
  get titles(): string[] {
    return this.#s.list.map((r) => `#${r.signed.membership.title}`);
  }

  /**
   * Whether a link `name` (proving `fingerprint`) opens for `group`, holding
   * membership `version`, is let in: a member of the latest membership held,
   * or an invitee the admin waits for; someone who may bring an invitation
   * (a group we do not hold) or a newer membership than ours. Anyone else,
   * for a group we hold, is not a member: refused, with a warning.
   */
  admits(name: Name, fingerprint: string, group: string, version = 0): LinkAdmission {
    const r = this.#s.records.get(group);
    if (!r) return { admit: "stranger" };
    if (r.status === "invited") {
      return r.inviter?.fingerprint === fingerprint ? { admit: "stranger" } : { admit: false };
    }
    const m = r.signed.membership;
    if (isMember(m, name, fingerprint)) return { admit: "member" };
    const invite = r.invites.get(nameKey(name));
    if (this.#s.isAdmin(r) && invite?.fingerprint === fingerprint) return { admit: "member" };
    // A member let in by a version we have not received yet: its frames wait for it.
    if (version > m.version) return { admit: "stranger" };
    const warning: SecurityWarning = {
      type: "security-warning",
      peer: name,
      reason: "not-a-member",
      expected: memberByName(m, name)?.fingerprint ?? "",
      got: fingerprint,
      group,
      title: m.title,
    };
    return { admit: false, warning };
  }

  /** Takes one event; returns what to do, in order. */
  handle(e: GroupEvent): GroupAction[] {
    const s = this.#s;
    switch (e.type) {
      case "new":
        return this.#create(e.title, e.now);
      case "invite":
        return this.#invite(e.ref, e.name);
      case "invitee": {
        const r = s.records.get(e.group);
        if (!r || r.status !== "joined" || !s.isAdmin(r)) return [];
        const m = r.signed.membership;
        if (memberByName(m, e.invitee.name)?.fingerprint === e.invitee.fingerprint) {
          return [
            fail({
              code: "bad-command",
              problem: "already-member",
              name: e.invitee.name,
              title: m.title,
            }),
          ];
        }
        r.invites.set(nameKey(e.invitee.name), { ...e.invitee, at: e.now });
        const frame: GroupFrame = { type: "group-invite", group: r.id, ...toWire(r.signed) };
        return [
          { type: "deliver", to: e.invitee, frames: [frame] },
          show({
            type: "group-invited",
            ...about(r),
            name: e.invitee.name,
            fingerprint: e.invitee.fingerprint,
          }),
          save(),
        ];
      }
      case "join": {
        const r = s.find(e.ref, ["invited", "joining"]);
        if ("problem" in r) return [fail(r)];
        if (r.status === "invited" && s.joinedCount >= MAX_GROUPS) {
          return [fail({ code: "too-many-groups", problem: "too-many-groups", max: MAX_GROUPS })];
        }
        r.status = "joining";
        const admin = r.signed.membership.admin;
        const version = r.signed.membership.version;
        return [
          { type: "deliver", to: admin, frames: [{ type: "group-join", group: r.id, version }] },
          show({
            type: "notice",
            notice: { code: "group-join-sent", ...about(r), admin: admin.name },
          }),
          save(),
        ];
      }
      case "decline": {
        const r = s.find(e.ref, ["invited"]);
        if ("problem" in r) return [fail(r)];
        s.drop(r);
        const admin = r.signed.membership.admin;
        return [
          { type: "deliver", to: admin, frames: [{ type: "group-decline", group: r.id }] },
          show({ type: "group-left", ...about(r), reason: "declined" }),
          save(),
        ];
      }
      case "say":
        return say(s, e.ref, e.text, e.now);
      case "focus": {
        const r = s.find(e.ref, ["joined", "joining"]);
        if ("problem" in r) return [fail(r)];
        s.current = r.id;
        return [show({ type: "group-current", ...about(r) })];
      }
      case "unfocus":
        s.current = undefined;
        return [];
      case "members": {
        const r = s.find(e.ref, ["joined", "joining", "invited"]);
        return "problem" in r ? [fail(r)] : [show(this.#members(r))];
      }
      case "groups":
        return [show({
          type: "groups",
          groups: s.list.map((r) => ({
            ...about(r),
            state: r.status,
            admin: r.signed.membership.admin.name,
            members: r.signed.membership.members.length,
            version: r.signed.membership.version,
            current: r.id === s.current,
          })),
        })];
      case "remove":
        return this.#remove(e.ref, e.name, e.now);
      case "leave":
        return this.#leave(e.ref);
      case "frame":
        return takeFrame(s, e);
      case "link-up":
        return resend(s, e.peer);
      case "tick":
        return this.#tick(e.now);
    }
  }

  #create(text: string, now: number): GroupAction[] {
    const s = this.#s;
    const title = parseTitle(text);
    if (typeof title !== "string") return [fail(title)];
    const taken = s.list.some((r) =>
      r.status !== "invited" && r.signed.membership.title.toLowerCase() === title.toLowerCase()
    );
    if (taken) return [fail({ code: "bad-command", problem: "title-taken", title })];
    if (s.joinedCount >= MAX_GROUPS) {
      return [fail({ code: "too-many-groups", problem: "too-many-groups", max: MAX_GROUPS })];
    }
    const me = s.ctx.self;
    const signed = s.ctx.sign({
      group: s.ctx.randomId(),
      version: 1,
      title,
      admin: me,
      members: [me],
      change: { kind: "create", name: me.name },
      time: now,
    });
    const r = newRecord(signed, "joined");
    s.records.set(r.id, r);
    return [save(true), show({ type: "group-created", ...about(r) })];
  }

  /** The admin's group `ref`, or the problem that stops a change to it. */
  #administered(ref: string, name: Name, command: string): GroupRecord | ClientProblem {
    const s = this.#s;
    const r = s.find(ref, ["joined"]);
    if ("problem" in r) return r;
    const m = r.signed.membership;
    if (!s.isAdmin(r)) {
      return { code: "not-admin", problem: "not-admin", title: m.title, admin: m.admin.name };
    }
    if (nameKey(name) === nameKey(s.ctx.self.name)) {
      return { code: "self", problem: "self", name, command };
    }
    return r;
  }

  #invite(ref: string, name: Name): GroupAction[] {
    const r = this.#administered(ref, name, "/invite");
    if ("problem" in r) return [fail(r)];
    const m = r.signed.membership;
    const others = [...r.invites.keys()].filter((k) => k !== nameKey(name)).length;
    const stays = memberByName(m, name) ? 0 : 1;
    if (m.members.length + others + stays > MAX_MEMBERS) {
      return [
        fail({ code: "group-full", problem: "group-full", title: m.title, max: MAX_MEMBERS }),
      ];
    }
    return [{ type: "resolve", group: r.id, name }];
  }

  #members(r: GroupRecord) {
    const m = r.signed.membership;
    return {
      type: "members" as const,
      ...about(r),
      version: m.version,
      admin: m.admin.name,
      members: m.members.map((x) => ({
        name: x.name,
        fingerprint: x.fingerprint,
        verified: this.#s.ctx.reads.verified(x.name, x.fingerprint),
        admin: x.fingerprint === m.admin.fingerprint,
        self: x.fingerprint === this.#s.ctx.self.fingerprint,
      })),
      invited: [...r.invites.values()].map((i) => i.name),
    };
  }

  #remove(ref: string, name: Name, now: number): GroupAction[] {
    const s = this.#s;
    const r = this.#administered(ref, name, "/remove");
    if ("problem" in r) return [fail(r)];
    const m = r.signed.membership;
    const by = s.ctx.self.name;
    const target = memberByName(m, name);
    if (!target) {
      const invite = r.invites.get(nameKey(name));
      if (!invite) {
        return [fail({ code: "bad-command", problem: "not-in-group", name, title: m.title })];
      }
      r.invites.delete(nameKey(name));
      return [save(), show({ type: "group-member-removed", ...about(r), name: invite.name, by })];
    }
    s.change(r, m.members.filter((x) => x !== target), { kind: "remove", name: target.name }, now);
    prune(r);
    const told = membershipFrame(r);
    return [
      save(true),
      // The removed member is told too: it stops, and sees why.
      ...[...s.others(r), target].map((to): GroupAction => ({
        type: "deliver",
        to,
        frames: [told],
      })),
      show({ type: "group-member-removed", ...about(r), name: target.name, by }),
    ];
  }

  #leave(ref: string): GroupAction[] {
    const s = this.#s;
    const r = s.find(ref, ["joined", "joining"]);
    if ("problem" in r) return [fail(r)];
    const m = r.signed.membership;
    const actions: GroupAction[] = [];
    if (s.isAdmin(r)) {
      if (s.others(r).length > 0) {
        return [fail({ code: "bad-command", problem: "admin-leave", title: m.title })];
      }
    } else {
      // A join not answered yet is withdrawn; a member asks the admin to sign it out.
      const frame: GroupFrame = r.status === "joining"
        ? { type: "group-decline", group: r.id }
        : { type: "group-leave", group: r.id };
      actions.push({ type: "deliver", to: m.admin, frames: [frame] });
    }
    s.drop(r);
    return [...actions, show({ type: "group-left", ...about(r), reason: "left" }), save()];
  }

  #tick(now: number): GroupAction[] {
    const s = this.#s;
    const actions: GroupAction[] = [];
    for (const r of s.list) {
      for (const [fp, order] of r.orders) {
        const items = order.release(now);
        const from = memberByKey(r.signed.membership, fp);
        if (items.length > 0 && from) actions.push(...shown(r, from, items));
      }
      // Messages for a membership that never came: dropped unacknowledged, so the sender
      // keeps them and sends them again once a link is up.
      const waiting = s.future.get(r.id)?.filter((f) => now - f.at < GAP_WAIT_MS);
      if (waiting) s.future.set(r.id, waiting);
      const stale = r.status === "invited" && r.inviter && now - r.inviter.at > INVITE_TTL_MS;
      if (stale) s.drop(r);
      for (const [key, invite] of r.invites) {
        if (now - invite.at > INVITE_TTL_MS) r.invites.delete(key);
      }
    }
    return [...actions, save(), { type: "timer", at: s.nextTimer }];
  }
}
