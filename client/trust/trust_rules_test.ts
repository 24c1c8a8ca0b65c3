import { assertEquals } from "../../tests/assert.ts";
import { type Fingerprint, Identity, toBase64 } from "../../crypto/mod.ts";
import { type Name, parseName } from "../../protocol/mod.ts";
import type { KeyVerdict, ProvenUser } from "./log_checks.ts";
import type { Pin } from "./pin_file.ts";
import {
  firstContact,
  isSelfPeer,
  refusal,
  type TrustView,
  vetEntry,
  vetKey,
  vetListing,
} from "./trust_rules.ts";

const me = Identity.generate().public;
const carol = Identity.generate().public;
const dave = Identity.generate().public;

function view(pins: Record<string, Fingerprint> = {}): TrustView {
  return {
    self: { name: parseName("alice"), fingerprint: me.fingerprint },
    pin: (name: Name): Pin | undefined =>
      pins[name.toLowerCase()]
        ? { fingerprint: pins[name.toLowerCase()], verified: false }
        : undefined,
    pinnedUnderOtherNames: (name, fingerprint) =>
      Object.entries(pins).filter(([n, f]) => f === fingerprint && n !== name.toLowerCase()).map((
        [n],
      ) => n),
  };
}

const entry = (name: string, key = carol, proven: KeyVerdict = { ok: true }): ProvenUser => ({
  name,
  address: "192.0.2.7",
  port: 40123,
  key: toBase64(key.key),
  fingerprint: key.fingerprint,
  addresses: [],
  proven,
});

Deno.test("vetEntry() takes a sound entry, and refuses a key pinned for someone else, remembering it for /trust", () => {
  const ok = vetEntry(view(), entry("Carol"), parseName("carol"));
  assertEquals([ok.value?.name, ok.actions], ["Carol", []]);
  const passedOff = vetEntry(view({ carol: carol.fingerprint }), entry("dave"), parseName("dave"));
  assertEquals(passedOff.value, undefined);
  assertEquals(passedOff.actions.map((a) => a.type), ["note-changed", "warn"]);
  const warning = passedOff.actions[1].type === "warn" ? passedOff.actions[1].warning : undefined;
  assertEquals([warning?.problem, warning?.named], ["key-of-another", "carol"]);
  const wrong = vetEntry(view(), entry("carol"), parseName("dave"));
  assertEquals(wrong.actions.map((a) => a.type === "warn" && a.warning.problem), ["wrong-name"]);
});

Deno.test("vetListing() keeps the sound entries and warns for each of the others", () => {
  const { value, actions } = vetListing(
    [entry("carol"), entry("CAROL", dave), entry("dave", dave)],
    "car",
  );
  assertEquals(value?.map((u) => u.name), ["carol"]);
  assertEquals(actions.map((a) => a.type === "warn" && a.warning.problem), [
    "duplicate",
    "off-prefix",
  ]);
});

Deno.test("vetEntry() refuses a key the log does not prove, or an entry with no verdict at all, and says why", () => {
  const badProof = vetEntry(
    view(),
    entry("carol", carol, { ok: false, reason: "unproven-binding", detail: "bad-proof" }),
    parseName("carol"),
  );
  assertEquals(badProof.value, undefined);
  const warning = badProof.actions[0].type === "warn" ? badProof.actions[0].warning : undefined;
  assertEquals([warning?.reason, warning?.detail, warning?.got], [
    "unproven-binding",
    "bad-proof",
    carol.fingerprint,
  ]);
  const { proven: _, ...bare } = entry("carol");
  const none = vetEntry(view(), bare, parseName("carol"));
  assertEquals(none.actions.map((a) => a.type === "warn" && a.warning.detail), ["no-proof"]);
  // The entry's own faults come first: they say more than the proof would.
  const wrong = vetEntry(view(), { ...bare, name: "dave" }, parseName("carol"));
  assertEquals(wrong.actions.map((a) => a.type === "warn" && a.warning.problem), ["wrong-name"]);
});

Deno.test("vetListing() drops each unproven entry with a warning, and warns once for all when the directory's log is caught lying", () => {
  const forked: KeyVerdict = {
    ok: false,
    reason: "directory-fork",
    log: { kept: 9, seen: 12, evidence: "/x" },
  };
  const { value, actions } = vetListing([
    entry("carol"),
    entry("dave", dave, { ok: false, reason: "unproven-binding", detail: "other-key" }),
  ], undefined);
  assertEquals(value?.map((u) => u.name), ["carol"]);
  assertEquals(actions.map((a) => a.type === "warn" && [a.warning.peer, a.warning.detail]), [
    ["dave", "other-key"],
  ]);
  const caught = vetListing([entry("carol", carol, forked), entry("dave", dave, forked)], "");
  assertEquals(caught.value, []);
  assertEquals(caught.actions.map((a) => a.type === "warn" && [a.warning.reason, a.warning.log]), [
    ["directory-fork", { kept: 9, seen: 12, evidence: "/x" }],
  ]);
});

Deno.test("refusal() warns, and remembers a changed key so that /trust can accept it", () => {
  const changed = refusal(parseName("carol"), {
    admit: false,
    reason: "key-changed",
    expected: carol.fingerprint,
    got: dave.fingerprint,
  });
  assertEquals(changed[0], { type: "note-changed", name: "carol", fingerprint: dave.fingerprint });
  const mismatch = refusal(parseName("carol"), {
    admit: false,
    reason: "directory-mismatch",
    expected: carol.fingerprint,
    got: dave.fingerprint,
  });
  assertEquals(mismatch.map((a) => a.type), ["warn"]);
});

Deno.test("vetKey() admits the pinned key or a new one, and refuses another's or a changed one", () => {
  const pins = view({ carol: carol.fingerprint });
  const keyOfAnother = (named: string) =>
    ({
      type: "security-warning",
      peer: "x",
      reason: "mail-rejected",
      expected: "",
      got: "",
      named,
    }) as const;
  assertEquals(
    vetKey(pins, parseName("carol"), carol.fingerprint, keyOfAnother).value,
    carol.fingerprint,
  );
  assertEquals(
    vetKey(pins, parseName("dave"), dave.fingerprint, keyOfAnother).value,
    dave.fingerprint,
  );
  const changed = vetKey(pins, parseName("carol"), dave.fingerprint, keyOfAnother);
  assertEquals([changed.value, changed.actions.map((a) => a.type)], [undefined, [
    "note-changed",
    "warn",
  ]]);
  const another = vetKey(pins, parseName("erin"), carol.fingerprint, keyOfAnother);
  assertEquals(another.actions.map((a) => a.type === "warn" && a.warning.named), ["carol"]);
});

Deno.test("firstContact() pins a new key once, and never your own name or key", () => {
  assertEquals(firstContact(view(), parseName("carol"), carol.fingerprint), [
    { type: "pin", name: "carol", fingerprint: carol.fingerprint },
  ]);
  assertEquals(
    firstContact(view({ carol: carol.fingerprint }), parseName("carol"), carol.fingerprint),
    [],
  );
  assertEquals(firstContact(view(), parseName("ALICE"), carol.fingerprint), []);
  assertEquals(firstContact(view(), parseName("mallory"), me.fingerprint), []);
  assertEquals(isSelfPeer(view(), "Alice", carol.fingerprint), true);
});
