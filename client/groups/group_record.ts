/**
 * What a client keeps of each group (docs/protocol.md §13.5), and its form in
 * the private file `groups`: the latest membership verified (with the digests
 * of recent versions, to tell a late copy from a replay), the last sequence
 * number this client sent under, each sender's order (the next number due
 * and the numbers skipped), the admin's invitations waiting for an answer,
 * and our messages still waiting for some member to show them. An
 * invitation received and not yet answered is a record too, until /join
 * makes it a group. Loading re-checks every signature: a file altered by
 * hand does not make anyone a member.
 *
 * @module
 */
import { type Fingerprint, fromBase64, PublicIdentity, toBase64 } from "../../crypto/mod.ts";
import { checks, JsonObject, type Name, parseName } from "../../protocol/mod.ts";
import type { KeyStatus } from "../core/mod.ts";
import { type Member, member, openMembership, type Signed, toWire } from "./membership.ts";
import { type OrderState, SenderOrder } from "./sender_order.ts";

/** Digests of accepted versions remembered, newest last. */
export const MAX_DIGESTS = 16;
/** Our messages tracked per group until every member showed them; the oldest go first. */
export const MAX_OUTBOX = 200;
/**
 * Sequence numbers reserved on disk at a time: the file says how far a
 * client may have sent, so a crash never makes it reuse a number (members
 * would take the new message for one they showed); after one, members see a
 * gap of at most this many, given up on after GAP_WAIT_MS.
 */
export const SEQ_BLOCK = 256;
/** How long an invitation, either way, waits for its answer (as long as mail is held). */
export const INVITE_TTL_MS = 14 * 24 * 3600 * 1000;

/** Where a group stands for this client. */
export type Status =
  /** Invited, not yet answered. */
  | "invited"
  /** /join sent to the admin; waiting for a membership that lists us. */
  | "joining"
  /** A member. */
  | "joined";

/** A message held behind a gap, with what showing it needs. */
export type HeldMessage = {
  readonly from: Name;
  readonly fingerprint: Fingerprint;
  readonly id: string;
  readonly text: string;
  readonly time: number;
  readonly offline: boolean;
};

/** One of our messages and who has shown it. */
export type Sent = {
  readonly id: string;
  readonly seq: number;
  readonly version: number;
  readonly text: string;
  readonly time: number;
  /** Each member it went to, by key: their name, and whether their client showed it. */
  readonly to: Map<Fingerprint, { readonly name: Name; delivered: boolean }>;
};

/** Who invited us, as proven when the invitation came. */
export type Inviter = {
  readonly name: Name;
  readonly fingerprint: Fingerprint;
  readonly known: KeyStatus;
  readonly at: number;
};

/** One group, or one invitation, as the book keeps it. */
export type GroupRecord = {
  readonly id: string;
  status: Status;
  /** The latest membership verified (for an invitation: the one it showed). */
  signed: Signed;
  /** Digests of recent versions accepted, newest last. */
  digests: string[];
  /** The last sequence number we sent under. */
  seq: number;
  /** The highest number the file lets us send under (SEQ_BLOCK at a time; `seq` once we quit). */
  reserved: number;
  /** The first number we sent each member (by key): what they wait from. */
  readonly since: Map<Fingerprint, number>;
  /** Each sender's order, by key. */
  readonly orders: Map<Fingerprint, SenderOrder<HeldMessage>>;
  /** The admin's invitations waiting for an answer, by folded name. */
  readonly invites: Map<string, Member & { readonly at: number }>;
  /** Our messages some member has not shown yet, oldest first. */
  readonly outbox: Sent[];
  /** Who invited us (invited and joining). */
  inviter?: Inviter;
};

/** A fresh record for `signed`. */
export function newRecord(signed: Signed, status: Status, inviter?: Inviter): GroupRecord {
  return {
    id: signed.membership.group,
    status,
    signed,
    digests: [signed.digest],
    seq: 0,
    reserved: 0,
    since: new Map(),
    orders: new Map(),
    invites: new Map(),
    outbox: [],
    inviter,
  };
}

/** The record as JSON for the file. */
export function recordToJson(r: GroupRecord): unknown {
  const keyed = (m: Member & { at: number }) => ({ name: m.name, key: toBase64(m.key), at: m.at });
  return {
    status: r.status,
    ...toWire(r.signed),
    digests: r.digests,
    // What was reserved: a client that crashed resumes past every number it may have used.
    seq: r.reserved,
    since: Object.fromEntries(r.since),
    senders: Object.fromEntries([...r.orders].map(([fp, order]) => [fp, order.state])),
    invites: [...r.invites.values()].map(keyed),
    outbox: r.outbox.map((s) => ({
      id: s.id,
      seq: s.seq,
      version: s.version,
      text: s.text,
      time: s.time,
      to: [...s.to].map(([fingerprint, t]) => ({
        fingerprint,
        name: t.name,
        delivered: t.delivered,
      })),
    })),
    ...(r.inviter ? { inviter: r.inviter } : {}),
  };
}

const bad = (rule: string): Error => new TypeError(rule);

/** A record from the file's JSON; throws TypeError naming what is wrong. */
export function recordFromJson(value: unknown): GroupRecord {
  const o = JsonObject.from(value, "a group", bad);
  const signed = openMembership({
    doc: o.field("doc", checks.string, "a document"),
    sig: o.field("sig", checks.string, "a signature"),
  });
  const status = o.field(
    "status",
    checks.oneOf(["invited", "joining", "joined"] as const),
    "a status",
  );
  const orders = new Map<Fingerprint, SenderOrder<HeldMessage>>();
  const senders = o.object("senders");
  for (const [fp, state] of Object.entries(senders.fields)) {
    const s = JsonObject.from(state, "a sender", bad);
    const skipped = s.list("skipped", 64, (run) => {
      if (!Array.isArray(run) || run.length !== 2 || !run.every(checks.id)) throw bad("a run");
      return [run[0], run[1]] as [number, number];
    });
    orders.set(
      fp as Fingerprint,
      new SenderOrder({ next: s.field("next", checks.id, "next"), skipped } as OrderState),
    );
  }
  const since = new Map<Fingerprint, number>();
  for (const [fp, n] of Object.entries(o.object("since").fields)) {
    if (!checks.hex(64)(fp) || !checks.id(n)) throw bad("a first number");
    since.set(fp as Fingerprint, n);
  }
  const invites = new Map<string, Member & { at: number }>();
  for (const entry of o.list("invites", 64, (v) => JsonObject.from(v, "an invite", bad))) {
    const name = parseName(entry.field("name", checks.string, "a name"));
    const identity = PublicIdentity.fromRaw(fromBase64(entry.field("key", checks.string, "a key")));
    invites.set(name.toLowerCase(), {
      ...member(name, identity),
      at: entry.field("at", checks.dateTime, "a time"),
    });
  }
  const outbox = o.list("outbox", MAX_OUTBOX, (v) => {
    const s = JsonObject.from(v, "a message", bad);
    const to = new Map<Fingerprint, { name: Name; delivered: boolean }>();
    for (const t of s.list("to", 64, (x) => JsonObject.from(x, "a recipient", bad))) {
      to.set(t.field("fingerprint", checks.hex(64), "a fingerprint") as Fingerprint, {
        name: parseName(t.field("name", checks.string, "a name")),
        delivered: t.field("delivered", checks.boolean, "true or false"),
      });
    }
    return {
      id: s.field("id", checks.hex(32), "an id"),
      seq: s.field("seq", checks.id, "a number"),
      version: s.field("version", checks.id, "a version"),
      text: s.field("text", checks.string, "text"),
      time: s.field("time", checks.dateTime, "a time"),
      to,
    };
  });
  const inviter = o.fields.inviter === undefined ? undefined : (() => {
    const i = o.object("inviter");
    return {
      name: parseName(i.field("name", checks.string, "a name")),
      fingerprint: i.field("fingerprint", checks.hex(64), "a fingerprint") as Fingerprint,
      known: i.field("known", checks.oneOf(["new", "pinned", "verified"] as const), "a status"),
      at: i.field("at", checks.dateTime, "a time"),
    };
  })();
  return {
    id: signed.membership.group,
    status,
    signed,
    digests: o.list("digests", MAX_DIGESTS, (d) => {
      if (!checks.hex(64)(d)) throw bad("a digest");
      return d;
    }),
    seq: o.field("seq", checks.id, "a number"),
    reserved: o.field("seq", checks.id, "a number"),
    since,
    orders,
    invites,
    outbox,
    inviter,
  };
}
