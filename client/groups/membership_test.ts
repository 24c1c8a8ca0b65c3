import { assert, assertEquals } from "../../tests/assert.ts";
import { Identity, toBase64, utf8 } from "../../crypto/mod.ts";
import { parseName } from "../../protocol/mod.ts";
import { PeerProtocolError } from "../core/mod.ts";
import {
  MAX_MEMBERS,
  member,
  type Membership,
  MEMBERSHIP_CONTEXT,
  openMembership,
  signMembership,
  toWire,
} from "./membership.ts";

const alice = Identity.generate();
const bob = Identity.generate();
const me = member(parseName("alice"), alice.public);
const them = member(parseName("bob"), bob.public);
const base: Membership = {
  group: "0f".repeat(16),
  version: 2,
  title: "team" as never,
  admin: me,
  members: [me, them],
  change: { kind: "add", name: them.name },
  time: 1_795_000_000_000,
};

/** A document of our own writing, signed by `by`, as it travels. */
function forged(doc: Record<string, unknown>, by = alice): { doc: string; sig: string } {
  const bytes = utf8(JSON.stringify(doc));
  const signed = new Uint8Array([...MEMBERSHIP_CONTEXT, ...bytes]);
  return { doc: toBase64(bytes), sig: toBase64(by.sign(signed)) };
}

const good = () => JSON.parse(new TextDecoder().decode(signMembership(alice, base).doc));

/** openMembership() refuses `w` with a PeerProtocolError whose rule matches `rule`. */
function refuses(w: { doc: string; sig: string }, rule: RegExp): void {
  try {
    openMembership(w);
  } catch (error) {
    assert(error instanceof PeerProtocolError, String(error));
    assert(rule.test(error.message), `${error.message} does not match ${rule}`);
    return;
  }
  throw new Error(`taken, though it should break ${rule}`);
}

Deno.test("openMembership() takes what signMembership() wrote, byte for byte, and its digest tells two apart", () => {
  const signed = signMembership(alice, base);
  const opened = openMembership(toWire(signed));
  assertEquals(opened.membership.members.map((m) => m.name), ["alice", "bob"]);
  assertEquals(opened.digest, signed.digest);
  assert(signMembership(alice, { ...base, time: base.time + 1 }).digest !== signed.digest);
});

Deno.test("openMembership() refuses a document changed after signing, or signed by anyone but its admin", () => {
  const wire = toWire(signMembership(alice, base));
  const text = atob(wire.doc).replace('"version":2', '"version":3');
  refuses({ ...wire, doc: btoa(text) }, /not signed by its admin/);
  refuses(forged(good(), bob), /not signed by its admin/);
  refuses({ ...wire, sig: toBase64(new Uint8Array(64)) }, /not signed/);
  let refused = false;
  try {
    signMembership(bob, base);
  } catch (error) {
    refused = error instanceof RangeError;
  }
  assert(refused, "only the admin signs");
});

Deno.test("openMembership() refuses documents that break the rules: names or keys twice, an admin not listed, a change that does not fit, too many members", () => {
  refuses({ doc: "%%%", sig: "" }, /base64/);
  refuses(forged({ ...good(), p2pchat: "group/2" }), /group\/1/);
  refuses(forged({ ...good(), version: 0 }), /version/);
  refuses(forged({ ...good(), title: "no spaces" }), /title/);
  const m = good();
  refuses(forged({ ...m, members: [m.members[0], m.members[0]] }), /twice/);
  refuses(forged({ ...m, members: [m.members[1]] }), /admin must be a member/);
  refuses(forged({ ...m, change: { kind: "remove", name: "bob" } }), /someone gone/);
  refuses(forged({ ...m, change: { kind: "add", name: "carol" } }), /a member/);
  const many = Array.from({ length: MAX_MEMBERS + 1 }, (_, i) => ({
    name: `m${i}`,
    key: toBase64(Identity.generate().public.key),
  }));
  refuses(forged({ ...m, members: [m.members[0], ...many] }), /at most 64/);
  refuses(forged({ ...m, members: [{ name: "bob", key: "AAAA" }, m.members[0]] }), /Ed25519/);
});
