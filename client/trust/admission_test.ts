import fc from "fast-check";
import { assertEquals } from "../../tests/assert.ts";
import type { Fingerprint } from "../../crypto/mod.ts";
import { admitListed, admitProven } from "./admission.ts";

const A = "a".repeat(64) as Fingerprint;
const B = "b".repeat(64) as Fingerprint;

Deno.test("admitListed(): new, pinned and verified keys pass; a changed key is refused", () => {
  assertEquals(admitListed(undefined, A), { admit: true, status: "new" });
  assertEquals(admitListed({ fingerprint: A, verified: false }, A), {
    admit: true,
    status: "pinned",
  });
  assertEquals(admitListed({ fingerprint: A, verified: true }, A), {
    admit: true,
    status: "verified",
  });
  assertEquals(admitListed({ fingerprint: A, verified: true }, B), {
    admit: false,
    reason: "key-changed",
    expected: A,
    got: B,
  });
});

Deno.test("admitProven(): the responder checks the proven key against the listing, then the pin", () => {
  assertEquals(admitProven("responder", undefined, A, A), { admit: true, status: "new" });
  assertEquals(admitProven("responder", undefined, A, B), {
    admit: false,
    reason: "directory-mismatch",
    expected: A,
    got: B,
  });
  assertEquals(admitProven("initiator", undefined, A, B).admit, false);
  assertEquals(admitProven("responder", undefined, undefined, B), {
    admit: false,
    reason: "unlisted",
    expected: "",
    got: B,
  });
  assertEquals(admitProven("responder", { fingerprint: B, verified: false }, undefined, B), {
    admit: true,
    status: "pinned",
  });
  assertEquals(admitProven("responder", { fingerprint: A, verified: false }, B, B), {
    admit: false,
    reason: "key-changed",
    expected: A,
    got: B,
  });
});

Deno.test("property: a key other than the pinned one is never admitted", () => {
  const key = fc.constantFrom(A, B);
  fc.assert(
    fc.property(
      fc.option(fc.record({ fingerprint: key, verified: fc.boolean() }), { nil: undefined }),
      fc.option(key, { nil: undefined }),
      key,
      fc.constantFrom("initiator" as const, "responder" as const),
      (pin, listed, proven, role) => {
        const decision = admitProven(role, pin, listed, proven);
        if (decision.admit) {
          if (pin) assertEquals(pin.fingerprint, proven);
          if (listed) assertEquals(listed, proven);
          assertEquals(decision.status, pin ? (pin.verified ? "verified" : "pinned") : "new");
        }
      },
    ),
  );
});
