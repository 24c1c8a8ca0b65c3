/**
 * The membership document (docs/protocol.md §13.1): who is in a group, at
 * which version, signed by the group's admin with their Ed25519 identity.
 * The signature covers the document's exact bytes, domain-separated:
 *
 * ```
 * sig = Ed25519(admin, "p2pchat/1 group membership\0" || doc)
 * doc = UTF-8 JSON {"p2pchat":"group/1","group":ID,"version":N,"title":T,
 *        "admin":{"name":A,"key":K},"members":[{"name":..,"key":..},..],
 *        "change":{"kind":..,"name":..},"time":MS}
 * ```
 *
 * On the wire it travels as `{"doc": base64(doc), "sig": base64(sig)}`, so
 * the bytes verified are the bytes sent: no canonical form to agree on.
 * Decoding is strict; anything off is a PeerProtocolError naming the rule.
 *
 * @module
 */
import {
  concatBytes,
  type Fingerprint,
  fromBase64,
  type Identity,
  PublicIdentity,
  sha256,
  toBase64,
  toHex,
  utf8,
} from "../../crypto/mod.ts";
import { checks, JsonObject, type Name, nameKey, parseName } from "../../protocol/mod.ts";
import { PeerProtocolError } from "../core/mod.ts";
import { isTitle, type Title } from "./titles.ts";

/** Domain separation of the admin's signature. */
export const MEMBERSHIP_CONTEXT: Uint8Array = utf8("p2pchat/1 group membership\0");
/** Most members of a group, its admin included. */
export const MAX_MEMBERS = 64;
/** Largest membership document (64 members with 32-character names fit in under 7 KiB). */
export const MAX_DOC_BYTES = 8 * 1024;
/** The document's format tag. */
const FORMAT = "group/1";
/** Length of an Ed25519 signature. */
const SIGNATURE_BYTES = 64;
/** Highest version: a change a second for 68 years. */
const MAX_VERSION = 2 ** 31 - 1;

/** Every kind of change a version records. */
export const CHANGE_KINDS = ["create", "add", "remove", "leave", "rekey"] as const;
/** What changed from the version before: who was added, removed, left or got a new key. */
export type Change = { readonly kind: typeof CHANGE_KINDS[number]; readonly name: Name };

/** A member: the name the admin listed and the key that name must prove. */
export type Member = {
  readonly name: Name;
  readonly key: Uint8Array;
  readonly fingerprint: Fingerprint;
};

/** What a version of the membership says. */
export type Membership = {
  /** The group's id: 32 hex digits (128 random bits). */
  readonly group: string;
  readonly version: number;
  readonly title: Title;
  readonly admin: Member;
  readonly members: readonly Member[];
  readonly change: Change;
  readonly time: number;
};

/** A membership with the bytes its admin signed, the signature, and the document's digest. */
export type Signed = {
  readonly membership: Membership;
  readonly doc: Uint8Array;
  readonly sig: Uint8Array;
  /** SHA-256 of `doc`, hex: what tells two documents of one version apart. */
  readonly digest: string;
};

/** A membership as it travels: base64 of the document and of the signature. */
export type WireMembership = { readonly doc: string; readonly sig: string };

/** A member from a public identity. */
export function member(name: Name, identity: PublicIdentity): Member {
  return { name, key: identity.key, fingerprint: identity.fingerprint };
}

function signedBytes(doc: Uint8Array): Uint8Array {
  return concatBytes(MEMBERSHIP_CONTEXT, doc);
}

/** Writes and signs `membership` as `admin` (whose key must be the membership's admin's). */
export function signMembership(admin: Identity, membership: Membership): Signed {
  if (admin.public.fingerprint !== membership.admin.fingerprint) {
    throw new RangeError("Only the group's admin signs its membership");
  }
  const keyed = (m: Member) => ({ name: m.name, key: toBase64(m.key) });
  const doc = utf8(JSON.stringify({
    p2pchat: FORMAT,
    group: membership.group,
    version: membership.version,
    title: membership.title,
    admin: keyed(membership.admin),
    members: membership.members.map(keyed),
    change: { kind: membership.change.kind, name: membership.change.name },
    time: membership.time,
  }));
  if (doc.length > MAX_DOC_BYTES) throw new RangeError("The membership document is too large");
  return { membership, doc, sig: admin.sign(signedBytes(doc)), digest: toHex(sha256(doc)) };
}

/** The wire form of a signed membership. */
export function toWire(signed: Signed): WireMembership {
  return { doc: toBase64(signed.doc), sig: toBase64(signed.sig) };
}

const fail = (rule: string): PeerProtocolError => new PeerProtocolError(rule);

/**
 * Decodes a membership and checks that its admin signed it. Throws
 * PeerProtocolError: the rule a malformed document breaks, or
 * `membership not signed by its admin` when the signature does not hold.
 */
export function openMembership(wire: WireMembership): Signed {
  const doc = decodeBase64(wire.doc, MAX_DOC_BYTES, "the membership document");
  const sig = decodeBase64(wire.sig, SIGNATURE_BYTES, "the membership signature");
  const membership = decodeDoc(doc);
  const admin = PublicIdentity.fromRaw(membership.admin.key);
  if (sig.length !== SIGNATURE_BYTES || !admin.verify(sig, signedBytes(doc))) {
    throw fail("membership not signed by its admin");
  }
  return { membership, doc, sig, digest: toHex(sha256(doc)) };
}

function decodeBase64(text: string, max: number, what: string): Uint8Array {
  if (!checks.base64(Math.ceil(max / 3) * 4)(text)) throw fail(`${what} must be base64`);
  try {
    return fromBase64(text);
  } catch {
    throw fail(`${what} must be base64`);
  }
}

function decodeMember(value: unknown, what: string): Member {
  const o = JsonObject.from(value, what, fail);
  let name: Name;
  let identity: PublicIdentity;
  try {
    name = parseName(o.field("name", checks.string, "a name"));
    identity = PublicIdentity.fromRaw(fromBase64(o.field("key", checks.base64(44), "a key")));
  } catch (error) {
    if (error instanceof PeerProtocolError) throw error;
    throw fail(`${what} must have a valid name and an Ed25519 key`);
  }
  return member(name, identity);
}

/** The document's fields, strictly: every rule of docs/protocol.md §13.1. */
function decodeDoc(doc: Uint8Array): Membership {
  const o = JsonObject.parse(doc, { limit: MAX_DOC_BYTES, fail });
  if (o.field("p2pchat", checks.string, `"${FORMAT}"`) !== FORMAT) {
    throw fail(`"p2pchat" must be "${FORMAT}"`);
  }
  const group = o.field("group", checks.hex(32), "a 32-digit hex group id");
  const version = o.field("version", checks.id, "a version number");
  if (version < 1 || version > MAX_VERSION) throw fail(`"version" must be 1 to ${MAX_VERSION}`);
  const title = o.field("title", isTitle, "a title");
  const admin = decodeMember(o.fields.admin, `"admin"`);
  const members = o.list("members", MAX_MEMBERS, (m) => decodeMember(m, "a member"));
  const names = new Set(members.map((m) => nameKey(m.name)));
  const keys = new Set(members.map((m) => m.fingerprint));
  if (names.size !== members.length || keys.size !== members.length) {
    throw fail("a name or a key is listed twice");
  }
  const listed = members.find((m) => nameKey(m.name) === nameKey(admin.name));
  if (!listed || listed.fingerprint !== admin.fingerprint) {
    throw fail("the admin must be a member, with the same key");
  }
  const c = o.object("change");
  const change: Change = {
    kind: c.field("kind", checks.oneOf(CHANGE_KINDS), "a kind of change"),
    name: parseChangeName(c.field("name", checks.string, "a name")),
  };
  const present = names.has(nameKey(change.name));
  if ((change.kind === "remove" || change.kind === "leave") === present) {
    throw fail(`a ${change.kind} must name ${present ? "someone gone" : "a member"}`);
  }
  return {
    group,
    version,
    title,
    admin,
    members,
    change,
    time: o.field("time", checks.dateTime, "a time a date can hold"),
  };
}

function parseChangeName(text: string): Name {
  try {
    return parseName(text);
  } catch {
    throw fail(`"change" must name someone`);
  }
}

/** The member of `membership` with key `fingerprint`, if any. */
export function memberByKey(membership: Membership, fingerprint: string): Member | undefined {
  return membership.members.find((m) => m.fingerprint === fingerprint);
}

/** The member of `membership` called `name` (folded), if any. */
export function memberByName(membership: Membership, name: string): Member | undefined {
  const key = name.toLowerCase();
  return membership.members.find((m) => nameKey(m.name) === key);
}

/** Whether `name` proving `fingerprint` is a member of `membership` (name and key both). */
export function isMember(membership: Membership, name: string, fingerprint: string): boolean {
  return memberByName(membership, name)?.fingerprint === fingerprint;
}
