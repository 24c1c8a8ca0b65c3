/**
 * What key transparency costs (docs/protocol.md §15, README "Performance"),
 * each figure measured here, on this machine, in one run:
 *
 * - proof bytes a lookup answer gains (its checkpoint and binding proof), in
 *   directories of 19,500 and of 1,000,000 names;
 * - the directory's CPU per registration with the log against without it:
 *   two real `serve` processes, this tree's and the tree before the log
 *   (`git archive` of --baseline, default the merge base with main, or on
 *   main the tree just before the log came in), each
 *   registering the same number of real clients, measured from /proc;
 * - whether appending keeps pace: 19,500 registrations' entries appended one
 *   transaction each and sealed as the directory seals them (batches, a
 *   signature each), as a rate, against the rate `serve` registered at above;
 * - disk for a log of 1,000,000 entries in SQLite (its three tables, dbstat).
 *
 * Run: deno task bench-transparency [--quick] [--json] [--baseline REF] [--only proofs,cpu,disk]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { DirectoryClient } from "../client/directory/mod.ts";
import { Identity } from "../crypto/mod.ts";
import { startServe } from "../harness/mod.ts";
import { DirectoryDatabase, KeyLog, localBackend, SqliteLogStore } from "../server/state/mod.ts";
import {
  encodeBindingProof,
  encodeCheckpoint,
  encodeEntry,
  encodeValue,
  type LogEntry,
  mapPath,
  signCheckpoint,
  SparseMap,
} from "../transparency/mod.ts";
import { cpuSeconds } from "./proc.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    baseline: { type: "string" },
    only: { type: "string" },
  },
});
const quick = args.values.quick;
/** Which parts to run: `--only proofs,cpu,disk` (cpu includes the pace of appends). */
const parts = new Set((args.values.only ?? "proofs,cpu,disk").split(","));
const out: Record<string, unknown> = { machine: "shared 2-core Linux", deno: Deno.version.deno };
const say = (line: string): void => {
  if (!args.values.json) console.log(line);
};

const key = (i: number): Uint8Array => {
  const k = new Uint8Array(32);
  new DataView(k.buffer).setUint32(0, i);
  return k;
};

/** The bytes a lookup answer gains with its proof, in a map of `n` names. */
function proofBytes(n: number): { p50: number; max: number; depth: number } {
  const names = Array.from({ length: n }, (_, i) => `user${i}`);
  const map = SparseMap.of(
    names.map((name, i) => [mapPath(name), encodeValue({ state: "bound", count: 1, key: key(i) })]),
  );
  const signer = Identity.generate();
  const checkpoint = encodeCheckpoint(signCheckpoint(signer, {
    size: n,
    logRoot: new Uint8Array(32),
    mapRoot: map.root(),
    time: Date.now(),
  }));
  const user = {
    name: "user0",
    address: "203.0.113.7",
    port: 40123,
    key: "A".repeat(43) + "=",
    fingerprint: "f".repeat(64),
    addresses: ["192.168.1.20"],
  };
  const plain = JSON.stringify({ id: 7, type: "user", user }).length;
  const added: number[] = [];
  let depth = 0;
  for (let i = 0; i < 500; i++) {
    const name = names[(i * 7919) % n];
    const proof = map.prove(mapPath(name));
    depth = Math.max(depth, proof.siblings.length);
    const value = { state: "bound" as const, count: 1, key: key(0) };
    const wire = encodeBindingProof({ value, proof });
    added.push(
      JSON.stringify({ id: 7, type: "user", user: { ...user, proof: wire }, checkpoint }).length -
        plain,
    );
  }
  added.sort((a, b) => a - b);
  return { p50: added[added.length >> 1], max: added[added.length - 1], depth };
}

/** CPU a `serve` process spends per registration, for `count` real clients. */
async function registrationCpu(
  main: string | undefined,
  count: number,
): Promise<{ msPerRegistration: number; perSecond: number }> {
  const data = await Deno.makeTempDir();
  const serve = await startServe({
    data,
    args: ["--register-rate", "0", "--max-per-address", "0", "--per-source-startups", "0"],
    ...(main ? { main } : {}),
  });
  try {
    const pid = serve.process.pid;
    const before = cpuSeconds(pid);
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const client = await DirectoryClient.connect({ hostname: "127.0.0.1", port: serve.port }, {
          identity: Identity.generate(),
          heartbeatMs: 0,
        });
        await client.register(`user${i}`, 40000);
        await client.bye();
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const seconds = (performance.now() - started) / 1000;
    return {
      msPerRegistration: (cpuSeconds(pid) - before) * 1000 / count,
      perSecond: count / seconds,
    };
  } finally {
    await serve.stop();
    await Deno.remove(data, { recursive: true });
  }
}

/** The tree before the log, from `ref`, in a temporary directory; its main.ts. */
async function baselineTree(ref: string): Promise<{ main: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "p2pchat-baseline-" });
  const archive = new Deno.Command("sh", {
    args: ["-c", `git archive ${ref} | tar -x -C ${dir}`],
    stdout: "null",
    stderr: "piped",
  });
  const done = await archive.output();
  if (!done.success) throw new Error(new TextDecoder().decode(done.stderr));
  return { main: join(dir, "main.ts"), dir };
}

/**
 * The tree before the log: the merge base with main on a branch; on main
 * (where that is HEAD itself), the first parent of the commit that brought
 * the log in (server/state/key_log.ts).
 */
function mergeBase(): string {
  const git = (...args: string[]) =>
    new TextDecoder().decode(new Deno.Command("git", { args, stdout: "piped" }).outputSync().stdout)
      .trim();
  const base = git("merge-base", "HEAD", "main");
  if (base !== git("rev-parse", "HEAD")) return base;
  const added = git(
    "log",
    "--first-parent",
    "--format=%H",
    "--diff-filter=A",
    "--",
    "server/state/key_log.ts",
  );
  return `${added.split("\n").pop()}^1`;
}

/**
 * Appends `n` entries (one transaction each, as registrations append
 * them) and lets the log seal them as the directory does; entries per second.
 */
async function appendRate(n: number, path: string): Promise<{ perSecond: number; seals: number }> {
  const database = new DirectoryDatabase(path);
  const store = new SqliteLogStore(database);
  const log = await KeyLog.open(localBackend(store), {
    signer: Identity.generate(),
    clock: Date.now,
  });
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const entry = {
      kind: "bind" as const,
      name: `user${i}`,
      key: key(i),
      time: Date.now(),
      count: 1,
    };
    database.transaction(() => store.insert({ from: i, entries: [encodeEntry(entry)] }));
    log.appendedLocally(i, [entry]);
    // Registrations come from the network: the event loop turns between them.
    if (i % 64 === 63) await new Promise((r) => setTimeout(r, 0));
  }
  // Until the last is sealed (a proof waits at most PROOF_WAIT_MS each time).
  while (log.checkpoint.size < n) {
    await log.prove([{ name: `user${n - 1}` as never, key: key(n - 1) }]);
  }
  const seconds = (performance.now() - started) / 1000;
  await log.close();
  database.db.close();
  return { perSecond: n / seconds, seals: Math.ceil(n / 256) };
}

/** Disk of a log of `n` entries in SQLite: each log table, from dbstat, in MiB. */
async function disk(n: number, path: string): Promise<Record<string, number>> {
  const database = new DirectoryDatabase(path);
  const store = new SqliteLogStore(database);
  const log = await KeyLog.open(localBackend(store), {
    signer: Identity.generate(),
    clock: Date.now,
  });
  const BATCH = 4096;
  for (let from = 0; from < n; from += BATCH) {
    const entries: LogEntry[] = [];
    for (let i = from; i < Math.min(n, from + BATCH); i++) {
      entries.push({
        kind: "bind" as const,
        name: `user${i}`,
        key: key(i),
        time: Date.now(),
        count: 1,
      });
    }
    database.transaction(() => store.insert({ from, entries: entries.map(encodeEntry) }));
    log.appendedLocally(from, entries);
    await log.prove([{
      name: `user${from + entries.length - 1}` as never,
      key: key(from + entries.length - 1),
    }]);
  }
  await log.close();
  database.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const rows = database.db.prepare(
    "SELECT name, SUM(pgsize) AS bytes FROM dbstat WHERE name LIKE 'log_%' GROUP BY name",
  ).all() as { name: string; bytes: number }[];
  database.db.close();
  const mib = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;
  const sizes: Record<string, number> = {};
  for (const row of rows) sizes[row.name] = mib(Number(row.bytes));
  sizes.total = mib(rows.reduce((sum, row) => sum + Number(row.bytes), 0));
  return sizes;
}

const dir = await Deno.makeTempDir();
try {
  for (const n of !parts.has("proofs") ? [] : quick ? [19_500] : [19_500, 1_000_000]) {
    const bytes = proofBytes(n);
    out[`proofBytes${n}`] = bytes;
    say(
      `proof bytes a lookup answer gains, ${
        n.toLocaleString("en")
      } names: p50 ${bytes.p50}, max ${bytes.max} (depth ${bytes.depth}; target at most 2048)`,
    );
  }

  const count = quick ? 300 : 1_500;
  let baseline: { main: string; dir: string } | undefined;
  try {
    if (parts.has("cpu")) baseline = await baselineTree(args.values.baseline ?? mergeBase());
  } catch (error) {
    say(`registration CPU: no baseline tree (${(error as Error).message}); give --baseline REF`);
  }
  if (baseline) {
    // Pairs of runs, one after the other, so that the machine's other load falls on both alike.
    const rounds = quick ? 1 : 5;
    const pairs: { without: number; with: number }[] = [];
    let rate = 0;
    for (let r = 0; r < rounds; r++) {
      const without = (await registrationCpu(baseline.main, count)).msPerRegistration;
      const current = await registrationCpu(undefined, count);
      pairs.push({ without, with: current.msPerRegistration });
      rate = Math.max(rate, current.perSecond);
    }
    const ratios = pairs.map((p) => p.with / p.without).sort((a, b) => a - b);
    const ratio = ratios[ratios.length >> 1];
    out.registrationCpu = { pairs, medianRatio: ratio, registrationsPerSecond: rate };
    say(
      `registration CPU of serve, ${count} clients, ${rounds} pairs of runs (ms per registration, without the log / with it): ${
        pairs.map((p) => `${p.without.toFixed(3)} / ${p.with.toFixed(3)}`).join(", ")
      }; median x${ratio.toFixed(3)} (target at most x1.10)`,
    );
    await Deno.remove(baseline.dir, { recursive: true });
    const pace = await appendRate(19_500, join(dir, "pace.sqlite"));
    out.appendRate = { ...pace, registrationsPerSecond: rate, ratio: pace.perSecond / rate };
    say(
      `appending 19,500 registrations: ${
        Math.round(pace.perSecond)
      } entries/s sealed (${pace.seals} checkpoints), x${(pace.perSecond / rate).toFixed(1)} the ${
        Math.round(rate)
      } registrations/s serve managed here`,
    );
  }

  const n = quick ? 100_000 : 1_000_000;
  const sizes = parts.has("disk") ? await disk(n, join(dir, "disk.sqlite")) : undefined;
  if (sizes) out[`disk${n}`] = sizes;
  if (sizes) {
    say(
      `disk for ${n.toLocaleString("en")} entries: ${
        JSON.stringify(sizes)
      } MiB (target at most 200 MiB for 1,000,000)`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
if (args.values.json) console.log(JSON.stringify(out));
