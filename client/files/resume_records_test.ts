import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { join } from "node:path";
import { StorageError } from "../../storage/mod.ts";
import { MAX_RECORDS, type PartRecord, RECORD_KEEP_MS, ResumeRecords } from "./resume_records.ts";

const record = (n: number): PartRecord => ({
  peer: "fp",
  sha256: n.toString(16).padStart(64, "0"),
  size: 10,
  chunk: 65536,
  list: "ab".repeat(32),
  dir: "/d",
  part: `f${n}.part`,
  name: `f${n}`,
  have: "",
  updated: 0,
});

Deno.test("ResumeRecords: kept across loads, written 0600 after the parts were synced", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "transfers");
  let syncs = 0;
  const records = await ResumeRecords.load(path, { sync: () => Promise.resolve(void syncs++) });
  records.put(record(1));
  records.update({ peer: "fp", sha256: record(1).sha256, size: 10 }, "gA==");
  await records.flush();
  assertEquals(syncs, 1, "the parts are synced before a record claims what they hold");
  assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  const again = await ResumeRecords.load(path);
  assertEquals(again.find({ peer: "fp", sha256: record(1).sha256, size: 10 })?.have, "gA==");
  await again.remove({ peer: "fp", sha256: record(1).sha256, size: 10 });
  assertEquals((await ResumeRecords.load(path)).all.length, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ResumeRecords: bounded, old ones forgotten, a part outside its directory never taken", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "transfers");
  const records = await ResumeRecords.load(path);
  for (let i = 0; i < MAX_RECORDS + 5; i++) records.put(record(i));
  await records.flush();
  assertEquals(records.all.length, MAX_RECORDS);
  const now = Date.now();
  const stray = { ...record(99), part: "../../.ssh/authorized_keys.part", updated: now };
  const text = JSON.stringify({ version: 1, records: [stray, { ...record(7), updated: now }] });
  await Deno.writeTextFile(path, text, { mode: 0o600 });
  assertEquals((await ResumeRecords.load(path)).all.map((r) => r.part), ["f7.part"]);
  const later = await ResumeRecords.load(path, { clock: () => now + RECORD_KEEP_MS + 1 });
  assertEquals(later.all.length, 0, "a month untouched: forgotten");
  await Deno.writeTextFile(path, "{not json", { mode: 0o600 });
  const error = await assertRejects(() => ResumeRecords.load(path), StorageError);
  assert(error.message.includes("fix or remove it"));
  await Deno.remove(dir, { recursive: true });
});
