import { assert, assertEquals } from "../../tests/assert.ts";
import { fromBase64, Identity, toBase64 } from "../../crypto/mod.ts";
import { FakeLog } from "../../tests/fake_log.ts";
import { encodeCheckpoint, signCheckpoint } from "../../transparency/mod.ts";
import {
  checkBinding,
  compareCheckpoints,
  directoryCheckpoint,
  extendsLog,
  ownHistory,
  ownName,
  provenHistory,
} from "./log_checks.ts";

const directory = Identity.generate();
const key = (n: number): Uint8Array => new Uint8Array(32).fill(n);

function logOf(...binds: [string, number][]): FakeLog {
  const log = new FakeLog(directory, () => 1_796_000_000_000);
  for (const [name, n] of binds) log.ensure(name, key(n));
  return log;
}

const latest = (log: FakeLog) => directoryCheckpoint(directory.public, log.checkpoint)!;

Deno.test("directoryCheckpoint() takes only the directory's signature, never another key's, and nothing malformed", () => {
  const log = logOf(["bob", 1]);
  assertEquals(latest(log).size, 1);
  const mallory = Identity.generate();
  const forged = encodeCheckpoint(signCheckpoint(mallory, latest(log)));
  assertEquals(directoryCheckpoint(directory.public, forged), null, "another key's signature");
  assertEquals(directoryCheckpoint(directory.public, undefined), null);
  assertEquals(directoryCheckpoint(directory.public, "AAAA"), null);
});

Deno.test("checkBinding() proves a key bound with its count, and names what else the log says", () => {
  const log = logOf(["bob", 1], ["carol", 2], ["dave", 3]);
  log.ensure("carol", key(4)); // carol again, to another key: lapse, then bind 2
  const checkpoint = latest(log);
  assertEquals(checkBinding(checkpoint, "bob", key(1), log.proof("bob")), { count: 1 });
  assertEquals(checkBinding(checkpoint, "carol", key(4), log.proof("carol")), { count: 2 });
  const other = checkBinding(checkpoint, "carol", key(2), log.proof("carol"));
  assertEquals("problem" in other && other.problem, "other-key");
  assertEquals(checkBinding(checkpoint, "erin", key(1), log.proof("erin")), {
    problem: "not-bound",
  });
  assertEquals(checkBinding(checkpoint, "bob", key(1), undefined), { problem: "no-proof" });
  const bytes = fromBase64(log.proof("bob"));
  bytes[bytes.length - 1] ^= 1; // a wrong sibling
  assertEquals(checkBinding(checkpoint, "bob", key(1), toBase64(bytes)), { problem: "bad-proof" });
  // The right proof against another root (an older checkpoint) does not hold either.
  const old = directoryCheckpoint(directory.public, encodeCheckpoint(log.checkpoints[1]))!;
  assertEquals(checkBinding(old, "bob", key(1), log.proof("bob")), { problem: "bad-proof" });
  // bob's proof does not vouch for dave.
  assertEquals(checkBinding(checkpoint, "dave", key(1), log.proof("bob")), {
    problem: "bad-proof",
  });
});

Deno.test("compareCheckpoints() and extendsLog(): the same, newer and proven so, older (rollback), another root (fork)", () => {
  const log = logOf(["bob", 1], ["carol", 2]);
  const two = latest(log);
  log.ensure("dave", key(3));
  log.ensure("erin", key(4));
  const four = latest(log);
  const fork = logOf(["bob", 1], ["carol", 2], ["mallory", 9], ["erin", 4]);
  assertEquals(compareCheckpoints(undefined, two), "first");
  assertEquals(compareCheckpoints(two, two), "same");
  assertEquals(compareCheckpoints(two, four), "newer");
  assertEquals(compareCheckpoints(four, two), "rollback");
  assertEquals(compareCheckpoints(four, latest(fork)), "fork");
  assert(extendsLog(two, four, log.consistency(2, 4)));
  // A fork after the size kept extends it too: only the two later heads disagree.
  assert(extendsLog(two, latest(fork), fork.consistency(2, 4)));
  const early = logOf(["bob", 1], ["mallory", 9], ["dave", 3], ["erin", 4]);
  assert(!extendsLog(two, latest(early), early.consistency(2, 4)), "a fork before the size kept");
  assert(!extendsLog(two, four, undefined));
  assert(!extendsLog(two, four, log.consistency(1, 4)), "a proof for other sizes");
});

Deno.test("provenHistory() takes only the name's entries, each proven in the checkpoint", () => {
  const log = logOf(["bob", 1], ["carol", 2]);
  log.ensure("bob", key(5));
  const checkpoint = latest(log);
  const entries = provenHistory(checkpoint, "bob", log.history("bob", 0))!;
  assertEquals(entries.map((e) => [e.index, e.kind, e.count]), [[0, "bind", 1], [2, "lapse", 1], [
    3,
    "bind",
    2,
  ]]);
  assertEquals(provenHistory(checkpoint, "bob", log.history("carol", 0)), null, "another's");
  const [first] = log.history("bob", 0);
  assertEquals(provenHistory(checkpoint, "bob", [{ ...first, index: 1 }]), null, "misplaced");
});

Deno.test("ownName() and ownHistory(): your count or one more is fine; more binds are read, and another key's is a rebind", () => {
  assertEquals(ownName(undefined, 7), { kind: "ok" });
  assertEquals(ownName(3, 3), { kind: "ok" });
  assertEquals(ownName(3, 4), { kind: "ok" });
  assertEquals(ownName(3, 2), { kind: "rebound", how: "count-fell" });
  assertEquals(ownName(3, 6), { kind: "read-history", from: 4, to: 6 });
  const mine = key(1);
  const at = (kind: "bind" | "lapse", count: number, k = mine) => ({
    kind,
    name: "bob",
    key: k,
    time: count * 1000,
    count,
  });
  const history = [
    at("bind", 1),
    at("lapse", 1),
    at("bind", 2, key(9)),
    at("lapse", 2, key(9)),
    at("bind", 3),
  ];
  assertEquals(ownHistory(history, mine, { from: 2, to: 3 }), {
    kind: "rebound",
    key: key(9),
    time: 2000,
    how: "after-lapse",
  });
  const sneaky = [at("bind", 1), at("bind", 2, key(9)), at("bind", 3)];
  assertEquals(
    (ownHistory(sneaky, mine, { from: 2, to: 3 }) as { how: string }).how,
    "while-bound",
  );
  assertEquals(
    ownHistory([at("bind", 1), at("lapse", 1), at("bind", 3)], mine, { from: 2, to: 3 }),
    {
      kind: "rebound",
      how: "hidden-history",
    },
  );
  const own = [at("bind", 1), at("lapse", 1), at("bind", 2), at("lapse", 2), at("bind", 3)];
  assertEquals(ownHistory(own, mine, { from: 2, to: 3 }), { kind: "ok" });
});
