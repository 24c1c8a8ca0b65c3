/**
 * Members' messages taken (docs/protocol.md §13.3): shown only if the sender
 * is a member (name and key) of the latest membership held, once, and in the
 * sender's order (`sender_order.ts`), each acknowledged once shown; a
 * message under a version not held yet waits for it; and the
 * acknowledgements of ours, turned into per-member delivery.
 *
 * @module
 */
import { type GroupFrame, MAX_ACK_IDS } from "./group_frames.ts";
import { about, type GroupAction, show } from "./group_events.ts";
import type { GroupRecord, HeldMessage } from "./group_record.ts";
import {
  deliver,
  fault,
  type FrameEvent,
  type GroupState,
  MAX_FUTURE,
  MAX_HELD_TOTAL,
  save,
} from "./group_state.ts";
import { isMember, type Member, memberByKey } from "./membership.ts";
import { SenderOrder } from "./sender_order.ts";

/** The frame of one type. */
export type Of<T extends GroupFrame["type"]> = Extract<GroupFrame, { type: T }>;

/** A member's message: shown once and in its sender's order, if its sender is a member. */
export function takeMessage(s: GroupState, e: FrameEvent, frame: Of<"group-msg">): GroupAction[] {
  const r = s.records.get(frame.group);
  if (!r || r.status === "invited") return [];
  const held = r.signed.membership;
  if (frame.version > held.version) {
    // Sent under a membership we do not hold yet: wait for it (bounded), and ask for it.
    const waiting = s.future.get(r.id) ?? [];
    if (waiting.length >= MAX_FUTURE || s.held >= MAX_HELD_TOTAL) return [];
    waiting.push({ frame, from: e.from, via: e.via, at: e.now });
    s.future.set(r.id, waiting);
    const ask = waiting.length === 1
      ? [deliver(e.from, { type: "group-sync", group: r.id, version: held.version })]
      : [];
    return [...ask, { type: "timer", at: s.nextTimer }];
  }
  if (!isMember(held, e.from.name, e.from.fingerprint)) return fault(s, e, "not-a-member");
  if (r.status !== "joined") return [];
  let order = r.orders.get(e.from.fingerprint);
  if (!order) {
    // A sender met for the first time: its numbers start where it says ours do.
    order = new SenderOrder<HeldMessage>({ next: frame.since, skipped: [] });
    r.orders.set(e.from.fingerprint, order);
  }
  const item: HeldMessage = {
    from: e.from.name,
    fingerprint: e.from.fingerprint,
    id: frame.id,
    text: frame.text,
    time: frame.time,
    offline: e.via === "mail",
  };
  const placed = order.take(frame.seq, item, e.now);
  if ("duplicate" in placed) return acks(r, e.from, [frame.id]);
  const actions: GroupAction[] = [];
  if ("held" in placed) {
    if (s.held > MAX_HELD_TOTAL) actions.push(...releaseOldest(s, e.now));
    return [...actions, { type: "timer", at: s.nextTimer }];
  }
  return [...shown(r, e.from, placed.show, placed.late === true), save(), {
    type: "timer",
    at: s.nextTimer,
  }];
}

/** Shows `items` from `from` (each once) and acknowledges them to it. */
export function shown(
  r: GroupRecord,
  from: Member,
  items: readonly HeldMessage[],
  late = false,
): GroupAction[] {
  const events = items.map((m) =>
    show({
      type: "group-message",
      ...about(r),
      from: m.from,
      id: m.id,
      text: m.text,
      time: new Date(m.time).toISOString(),
      ...(m.offline ? { offline: true as const } : {}),
      ...(late ? { late: true as const } : {}),
    })
  );
  return [...events, ...acks(r, from, items.map((m) => m.id))];
}

function acks(r: GroupRecord, to: Member, ids: readonly string[]): GroupAction[] {
  const frames: GroupFrame[] = [];
  for (let i = 0; i < ids.length; i += MAX_ACK_IDS) {
    frames.push({ type: "group-ack", group: r.id, ids: ids.slice(i, i + MAX_ACK_IDS) });
  }
  return frames.length > 0 ? [{ type: "deliver", to, frames }] : [];
}

/** Past MAX_HELD_TOTAL, the gap that has held longest is given up on. */
function releaseOldest(s: GroupState, now: number): GroupAction[] {
  let oldest: { r: GroupRecord; fp: string; at: number } | undefined;
  for (const r of s.records.values()) {
    for (const [fp, o] of r.orders) {
      if (o.releaseAt !== undefined && (!oldest || o.releaseAt < oldest.at)) {
        oldest = { r, fp, at: o.releaseAt };
      }
    }
  }
  if (!oldest) return [];
  const order = oldest.r.orders.get(oldest.fp as never)!;
  const items = order.release(now, true);
  const from = memberByKey(oldest.r.signed.membership, oldest.fp);
  return from ? shown(oldest.r, from, items) : [];
}

/** A member showed our messages: each one's delivery, updated. */
export function takeAck(s: GroupState, e: FrameEvent, frame: Of<"group-ack">): GroupAction[] {
  const r = s.records.get(frame.group);
  if (r?.status !== "joined") return [];
  const actions: GroupAction[] = [];
  const taken: string[] = [];
  for (const id of frame.ids) {
    const sent = r.outbox.find((m) => m.id === id);
    const to = sent?.to.get(e.from.fingerprint);
    if (!sent || !to || to.delivered) continue;
    to.delivered = true;
    taken.push(id);
    const all = [...sent.to.values()];
    actions.push(show({
      type: "group-delivered",
      ...about(r),
      id,
      text: sent.text,
      to: all.filter((t) => t.delivered).map((t) => t.name),
      pending: all.filter((t) => !t.delivered).map((t) => t.name),
    }));
    if (all.every((t) => t.delivered)) r.outbox.splice(r.outbox.indexOf(sent), 1);
  }
  if (taken.length === 0) return [];
  return [...actions, { type: "acked", fingerprint: e.from.fingerprint, ids: taken }, save()];
}
