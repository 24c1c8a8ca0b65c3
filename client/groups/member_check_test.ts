import { assertEquals } from "../../tests/assert.ts";
import { type Fingerprint, Identity, toBase64 } from "../../crypto/mod.ts";
import { type Name, parseName } from "../../protocol/mod.ts";
import type { KeyVerdict, Pin, ProvenUser } from "../trust/mod.ts";
import { checkMember } from "./member_check.ts";
import { member } from "./membership.ts";

const bobKey = Identity.generate().public;
const bob = member(parseName("bob"), bobKey);
const other = Identity.generate().public;
const entry = (key = bobKey, proven: KeyVerdict = { ok: true }): ProvenUser => ({
  name: "bob",
  address: "127.0.0.1",
  port: 7000,
  key: toBase64(key.key),
  fingerprint: key.fingerprint,
  addresses: [],
  proven,
});
const view = (pins: Record<string, Fingerprint> = {}) => ({
  self: { name: parseName("alice"), fingerprint: "00".repeat(32) as Fingerprint },
  pin: (name: Name): Pin | undefined =>
    pins[name] ? { fingerprint: pins[name], verified: false } : undefined,
  pinnedUnderOtherNames: () => [],
});

Deno.test("checkMember reaches a member the directory lists with the membership's key, and mails one offline", () => {
  assertEquals(checkMember(view(), bob, entry()).kind, "reach");
  assertEquals(checkMember(view({ bob: bob.fingerprint }), bob, undefined), {
    kind: "mail",
    actions: [],
  });
});

Deno.test("checkMember blocks a member whose pin or listed key is not the membership's, with key-changed and the key noted for /trust", () => {
  const pinned = checkMember(view({ bob: other.fingerprint }), bob, entry());
  assertEquals(pinned.kind, "blocked");
  assertEquals(pinned.actions[0], {
    type: "note-changed",
    name: "bob",
    fingerprint: bob.fingerprint,
  });
  const listed = checkMember(view(), bob, entry(other), "g");
  assertEquals(listed.kind, "blocked");
  assertEquals(listed.actions[1], {
    type: "warn",
    warning: {
      type: "security-warning",
      peer: "bob",
      reason: "key-changed",
      expected: bob.fingerprint,
      got: other.fingerprint,
      group: "g",
    },
  });
});

Deno.test("checkMember blocks a member whose listed key the directory's log does not prove, with the proof's problem", () => {
  const unproven = checkMember(
    view(),
    bob,
    entry(bobKey, { ok: false, reason: "unproven-binding", detail: "bad-proof" }),
    "g",
  );
  assertEquals(unproven.kind, "blocked");
  assertEquals(unproven.actions.length, 1);
  assertEquals(unproven.actions[0].type, "warn");
});
