import { assert, assertEquals } from "../../tests/assert.ts";
import { Identity } from "../../crypto/mod.ts";
import { FakeLog } from "../../tests/fake_log.ts";
import { decodeCheckpoint, encodeCheckpoint, signCheckpoint } from "../../transparency/mod.ts";
import { audit, type AuditSource } from "./audit_run.ts";
import { emptyAuditState } from "./audit_state.ts";

const directory = Identity.generate();
const key = (n: number): Uint8Array => new Uint8Array(32).fill(n);

/** The log's requests answered from `log`, its checkpoint bent by `bend`. */
function sourceOf(log: FakeLog, bend: (wire: string) => string = (w) => w): AuditSource {
  return {
    logCheckpoint: () => Promise.resolve(bend(log.checkpoint)),
    logConsistency: (from, to) => Promise.resolve(log.consistency(from, to)),
    logEntries: (from, count) =>
      Promise.resolve({ entries: log.entries(from, count ?? 500), checkpoint: log.checkpoint }),
    logHistory: (name, from) =>
      Promise.resolve({
        entries: log.history(name, from ?? 0),
        more: false,
        checkpoint: log.checkpoint,
      }),
  };
}

Deno.test("audit(): a log that holds up is verified whole, then only from where it left off, with a name's history", async () => {
  const log = new FakeLog(directory);
  log.ensure("alice", key(1));
  log.ensure("bob", key(2));
  const first = await audit(sourceOf(log), {
    server: directory.public,
    state: emptyAuditState(),
    name: "bob",
  });
  assertEquals(first.report.problems, []);
  assertEquals([first.report.verified, first.report.bound, first.report.standing], [
    { from: 0, to: 2 },
    2,
    "first",
  ]);
  assertEquals(first.report.history?.entries.map((e) => [e.kind, e.count, e.index]), [[
    "bind",
    1,
    1,
  ]]);
  log.ensure("bob", key(3));
  const next = await audit(sourceOf(log), {
    server: directory.public,
    kept: first.keep!.checkpoint,
    state: first.keep!.state,
  });
  assertEquals([next.report.problems, next.report.verified, next.report.standing], [
    [],
    { from: 2, to: 4 },
    "newer",
  ]);
});

Deno.test("audit(): a log whose entries break its rules, or do not make the map root it signs, is named", async () => {
  const log = new FakeLog(directory);
  log.ensure("bob", key(1));
  log.appendRaw({ kind: "bind", name: "bob", key: key(9), time: 0, count: 2 }); // no lapse first
  const broken = await audit(sourceOf(log), { server: directory.public, state: emptyAuditState() });
  assertEquals(broken.report.problems.map((p) => [p.code, p.detail, p.index]), [[
    "rule-broken",
    "bind-while-bound",
    1,
  ]]);
  assertEquals(broken.keep, undefined, "nothing kept of a log that does not hold up");
  const honest = new FakeLog(directory);
  honest.ensure("bob", key(1));
  const lying = sourceOf(honest, (wire) => {
    const c = decodeCheckpoint(wire)!;
    return encodeCheckpoint(signCheckpoint(directory, { ...c, mapRoot: new Uint8Array(32) }));
  });
  const mismatch = await audit(lying, { server: directory.public, state: emptyAuditState() });
  assertEquals(mismatch.report.problems.map((p) => p.code), ["map-mismatch"]);
});

Deno.test("audit(): a checkpoint of another key, a smaller log than kept, another history: each named, nothing kept", async () => {
  const log = new FakeLog(directory);
  log.ensure("bob", key(1));
  const kept = log.checkpoint;
  const mallory = Identity.generate();
  const forged = await audit(
    sourceOf(log, (w) => encodeCheckpoint(signCheckpoint(mallory, decodeCheckpoint(w)!))),
    {
      server: directory.public,
      state: emptyAuditState(),
    },
  );
  assertEquals(forged.report.problems.map((p) => p.code), ["bad-checkpoint"]);
  log.ensure("carol", key(2));
  const older = await audit(sourceOf(log, () => encodeCheckpoint(log.checkpoints[0])), {
    server: directory.public,
    kept,
    state: emptyAuditState(),
  });
  assertEquals(older.report.problems.map((p) => p.code), ["directory-rollback"]);
  const fork = new FakeLog(directory);
  fork.ensure("mallory", key(7));
  fork.ensure("carol", key(2));
  const other = await audit(sourceOf(fork), {
    server: directory.public,
    kept,
    state: emptyAuditState(),
  });
  assertEquals(other.report.problems.map((p) => p.code), ["directory-fork"]);
  assert([forged, older, other].every((o) => o.keep === undefined));
});
