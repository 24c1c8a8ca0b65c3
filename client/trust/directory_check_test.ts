import { assert, assertEquals } from "../../tests/assert.ts";
import { Identity, toBase64 } from "../../crypto/mod.ts";
import { parseName, type UserEntry } from "../../protocol/mod.ts";
import { checkUser, checkUsers, isIpLiteral } from "./directory_check.ts";

const carol = Identity.generate();
const mallory = Identity.generate();

function entry(name: string, identity = carol, extra: Partial<UserEntry> = {}): UserEntry {
  return {
    name,
    address: "192.0.2.7",
    port: 40123,
    key: toBase64(identity.public.key),
    fingerprint: identity.public.fingerprint,
    addresses: ["10.0.0.5"],
    ...extra,
  };
}

const problem = (result: ReturnType<typeof checkUser>) => "problem" in result ? result.problem : "";

Deno.test("checkUser() takes an honest entry for the name asked, whatever its case", () => {
  const checked = checkUser(entry("Carol"), { name: parseName("carol") });
  assert(!("problem" in checked));
  assertEquals(checked.name, "Carol");
  assertEquals(checked.fingerprint, carol.public.fingerprint);
  assertEquals(checked.addresses, ["192.0.2.7", "10.0.0.5"]);
});

Deno.test("checkUser() refuses another user's entry under the asked name, and every malformed field", () => {
  const asked = { name: parseName("dave") };
  assertEquals(problem(checkUser(entry("carol"), asked)), "wrong-name");
  assertEquals(problem(checkUser(entry("carol."), undefined)), "bad-name");
  assertEquals(problem(checkUser(entry("ca\u001brol"), undefined)), "bad-name");
  assertEquals(
    problem(checkUser(entry("carol", carol, { fingerprint: mallory.public.fingerprint }))),
    "fingerprint-mismatch",
  );
  assertEquals(
    problem(checkUser(entry("carol", carol, { key: toBase64(new Uint8Array(31)) }))),
    "bad-key",
  );
  assertEquals(problem(checkUser(entry("carol", carol, { key: "not base64!" }))), "bad-key");
  assertEquals(
    problem(checkUser(entry("carol", carol, { address: "evil.example" }))),
    "bad-address",
  );
  assertEquals(
    problem(checkUser(entry("carol", carol, { addresses: ["::1", "x"] }))),
    "bad-address",
  );
  assertEquals(problem(checkUser(entry("carol", carol, { port: 0 }))), "bad-port");
});

Deno.test("checkUsers() drops entries off the prefix and names listed twice, and keeps the rest", () => {
  const { users, inconsistencies } = checkUsers(
    [entry("carol"), entry("CAROL", mallory), entry("dave", mallory), entry("carl")],
    "car",
  );
  assertEquals(users.map((u) => u.name), ["carol", "carl"]);
  assertEquals(inconsistencies.map((i) => [i.name, i.problem]), [
    ["CAROL", "duplicate"],
    ["dave", "off-prefix"],
  ]);
});

Deno.test("isIpLiteral() accepts IPv4 and IPv6 literals only", () => {
  for (const ok of ["127.0.0.1", "10.200.1.1", "::1", "fe80::1", "2001:db8::7"]) {
    assert(isIpLiteral(ok), ok);
  }
  for (const bad of ["localhost", "1.2.3", "256.1.1.1", "01.2.3.4", ":", "1.2.3.4.5", ""]) {
    assert(!isIpLiteral(bad), bad);
  }
});
