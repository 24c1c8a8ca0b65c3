/**
 * What we send to a group (docs/protocol.md §13.3, §13.4): a line numbered
 * in our own sequence (reserved on disk a block at a time), told to each
 * member with the first number it waits from, tracked until every member
 * showed it; and, when a link with a member comes up, the versions we hold
 * and what that member has not shown yet.
 *
 * @module
 */
import { utf8 } from "../../crypto/mod.ts";
import {
  encodeFrame,
  type GroupFrame,
  MAX_FRAME_BYTES,
  MAX_GROUP_TEXT_BYTES,
} from "./group_frames.ts";
import { about, fail, type GroupAction, type Peer, show } from "./group_events.ts";
import { MAX_OUTBOX, SEQ_BLOCK } from "./group_record.ts";
import { type GroupState, save } from "./group_state.ts";
import { isMember } from "./membership.ts";

/** A line for group `ref` (or the current group): numbered, tracked, and fanned out. */
export function say(
  s: GroupState,
  ref: string | undefined,
  text: string,
  now: number,
): GroupAction[] {
  const found = ref !== undefined
    ? s.find(ref, ["joined", "joining"])
    : s.current !== undefined && s.records.get(s.current)
    ? s.records.get(s.current)!
    : { code: "bad-command" as const, problem: "no-group-chat" as const };
  if ("problem" in found) return [fail(found)];
  const r = found;
  const m = r.signed.membership;
  if (r.status !== "joined") {
    return [fail({ code: "bad-command", problem: "not-joined", title: m.title })];
  }
  const tooLong = fail({
    code: "too-long",
    problem: "group-too-long",
    max: MAX_GROUP_TEXT_BYTES,
  });
  if (utf8(text).length > MAX_GROUP_TEXT_BYTES) return [tooLong];
  const id = s.ctx.randomId();
  const seq = r.seq + 1;
  const frame = {
    type: "group-msg" as const,
    group: r.id,
    version: m.version,
    seq,
    since: seq,
    id,
    text,
    time: now,
  };
  if (encodeFrame(frame).length > MAX_FRAME_BYTES) return [tooLong];
  r.seq = seq;
  // Past what the file reserved: a new block is on disk before the message leaves.
  const reserve = seq > r.reserved;
  if (reserve) r.reserved = seq + SEQ_BLOCK - 1;
  const others = s.others(r);
  // Each member waits from the first message we sent them: what came before was not theirs.
  for (const o of others) if (!r.since.has(o.fingerprint)) r.since.set(o.fingerprint, seq);
  if (others.length > 0) {
    if (r.outbox.length >= MAX_OUTBOX) r.outbox.shift();
    r.outbox.push({
      id,
      seq: r.seq,
      version: m.version,
      text,
      time: now,
      to: new Map(others.map((o) => [o.fingerprint, { name: o.name, delivered: false }])),
    });
  }
  return [
    // A restart never reuses the number: the file holds a bound past it before it leaves.
    save(reserve),
    show({
      type: "group-sent",
      ...about(r),
      id,
      text,
      time: new Date(now).toISOString(),
      to: others.map((o) => o.name),
    }),
    ...others.map((to): GroupAction => ({
      type: "deliver",
      to,
      frames: [{ ...frame, since: r.since.get(to.fingerprint)! }],
    })),
  ];
}

/** A link with `peer` is up: the versions we hold, and what it has not shown yet. */
export function resend(s: GroupState, peer: Peer): GroupAction[] {
  const actions: GroupAction[] = [];
  for (const r of s.list) {
    if (r.status !== "joined" || !isMember(r.signed.membership, peer.name, peer.fingerprint)) {
      continue;
    }
    const frames: GroupFrame[] = [{
      type: "group-sync",
      group: r.id,
      version: r.signed.membership.version,
    }];
    for (const sent of r.outbox) {
      if (sent.to.get(peer.fingerprint)?.delivered !== false) continue;
      const { id, seq, version, text, time } = sent;
      const since = Math.min(r.since.get(peer.fingerprint) ?? seq, seq);
      frames.push({ type: "group-msg", group: r.id, version, seq, since, id, text, time });
    }
    actions.push({ type: "deliver", to: peer, frames });
  }
  return actions;
}
