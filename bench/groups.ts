/**
 * `deno task bench-groups [--members 64] [--messages 1000] [--json]`: group
 * chats over real `serve` and `connect --json` processes on loopback (issue
 * 24). One group of `--members` (alice and the rest, each its own process)
 * with direct links: the fan-out of one message from alice to every other
 * member, timed from the line written to alice's stdin to the last member's
 * `group-message` read from its stdout (p50 and worst of several rounds);
 * then a group of 10 (alice and 9 of them): alice sends `--messages`
 * messages and the time until all 9 showed all of them gives messages per
 * second (and member deliveries per second, 9 a message). The baseline of
 * the same run: one message over a one-to-one chat between the same two
 * processes' kind, shown by the peer, so the fan-out reads as a ratio.
 */
import { parseArgs } from "node:util";
import { type ClientProcess, type Event, startClient, startServe } from "../harness/mod.ts";
import { percentile, round } from "./stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    members: { type: "string", default: "64" },
    messages: { type: "string", default: "1000" },
    rounds: { type: "string", default: "5" },
    json: { type: "boolean" },
  },
});
const MEMBERS = Number(values.members);
const MESSAGES = Number(values.messages);
const ROUNDS = Number(values.rounds);
/** Processes started at once: more at a time only makes two cores thrash. */
const START_BATCH = 8;
/** Lines written to alice at once in the throughput run. */
const BATCH = 100;

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);
const log = (line: string) => values.json || console.error(line);

/** How many group messages `c` showed in `group` with text starting `prefix`, from event `from`. */
function count(c: ClientProcess, group: string, prefix: string, from = 0): number {
  let n = 0;
  for (let i = from; i < c.events.length; i++) {
    const e = c.events[i];
    if (e.type === "group-message" && e.group === group && String(e.text).startsWith(prefix)) n++;
  }
  return n;
}

/** Resolves once every client in `clients` has shown `n` messages starting `prefix`. */
async function allShown(
  clients: ClientProcess[],
  group: string,
  prefix: string,
  n: number,
  from: number[],
  ms = 120_000,
): Promise<number> {
  const start = performance.now();
  while (clients.some((c, i) => count(c, group, prefix, from[i]) < n)) {
    if (performance.now() - start > ms) {
      throw new Error(`not all showed ${n} × ${prefix} in ${ms} ms`);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  return performance.now();
}

/** alice makes `title` and lets `others` in; resolves once all joined and alice holds them all. */
async function makeGroup(
  alice: ClientProcess,
  others: ClientProcess[],
  title: string,
): Promise<string> {
  await alice.send(`/group new ${title}`);
  const group = (await alice.waitFor(is("group-created", { title }))).group as string;
  for (const c of others) await alice.send(`/invite #${title} ${c.name}`);
  await Promise.all(others.map((c) => c.waitFor(is("group-invite", { group }), 120_000)));
  for (const c of others) await c.send(`/join #${title}`);
  await Promise.all(others.map((c) => c.waitFor(is("group-joined", { group }), 120_000)));
  // Every member holds the last version once alice has added the last of them and it spread.
  const added = () => alice.events.filter(is("group-member-added", { group })).length;
  while (added() < others.length) await new Promise((r) => setTimeout(r, 50));
  await quiet([alice, ...others]);
  return group;
}

/** Waits until no client printed anything for a second (the versions have spread). */
async function quiet(clients: ClientProcess[]): Promise<void> {
  let total = -1;
  while (true) {
    const now = clients.reduce((n, c) => n + c.events.length, 0);
    if (now === total) return;
    total = now;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const server = await startServe({ args: ["--register-rate", "0", "--max-per-address", "0"] });
const clients: ClientProcess[] = [];
try {
  const names = ["alice", ...Array.from({ length: MEMBERS - 1 }, (_, i) => `m${i + 1}`)];
  const started = performance.now();
  for (let i = 0; i < names.length; i += START_BATCH) {
    const batch = await Promise.all(
      names.slice(i, i + START_BATCH).map((n) => startClient(n, server.port)),
    );
    await Promise.all(batch.map((c) => c.waitFor(is("ready"), 120_000)));
    clients.push(...batch);
  }
  log(`${clients.length} clients up in ${round((performance.now() - started) / 1000, 1)} s`);
  const [alice, ...others] = clients;

  const big = await makeGroup(alice, others, "all");
  log(`#all: ${MEMBERS} members joined`);
  // Warm-up: the links are up from the invitations; one message sent and shown by all.
  let marks = others.map((c) => c.events.length);
  await alice.send("/msg #all warm");
  await allShown(others, big, "warm", 1, marks);
  const fanOut: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    marks = others.map((c) => c.events.length);
    const t0 = performance.now();
    await alice.send(`/msg #all fan-out ${r}`);
    fanOut.push((await allShown(others, big, `fan-out ${r}`, 1, marks)) - t0);
    await quiet(clients);
  }

  const ten = [alice, ...others.slice(0, 9)];
  const small = await makeGroup(alice, ten.slice(1), "ten");
  marks = ten.slice(1).map((c) => c.events.length);
  await alice.send("/msg #ten warm");
  await allShown(ten.slice(1), small, "warm", 1, marks);
  marks = ten.slice(1).map((c) => c.events.length);
  const t0 = performance.now();
  for (let b = 0; b < MESSAGES / BATCH; b++) {
    await alice.send(
      Array.from({ length: BATCH }, (_, i) => `/msg #ten bulk ${b * BATCH + i}`).join("\n"),
    );
  }
  const done = await allShown(ten.slice(1), small, "bulk", MESSAGES, marks, 600_000);
  const seconds = (done - t0) / 1000;

  // The baseline, measured in the same run: one message over a one-to-one chat, shown by the peer.
  const [a, b] = [alice, others[0]];
  await a.send(`/chat ${b.name}`);
  await b.waitFor(is("chat-request"), 30_000);
  await b.send("/accept alice");
  await a.waitFor(is("chat-open"), 30_000);
  const chat: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const from = b.events.length;
    const t = performance.now();
    await a.send(`/msg ${b.name} one to one ${r}`);
    await b.waitFor(is("message", { text: `one to one ${r}` }), 10_000, from);
    chat.push(performance.now() - t);
  }

  const report = {
    members: MEMBERS,
    fan_out_to: MEMBERS - 1,
    fan_out_last_shown_p50_ms: round(percentile(fanOut, 50), 1),
    fan_out_last_shown_max_ms: round(Math.max(...fanOut), 1),
    one_to_one_shown_p50_ms: round(percentile(chat, 50), 1),
    fan_out_over_one_to_one: round(percentile(fanOut, 50) / percentile(chat, 50), 1),
    ten_member_messages: MESSAGES,
    ten_member_msgs_per_s: Math.round(MESSAGES / seconds),
    ten_member_deliveries_per_s: Math.round((MESSAGES * 9) / seconds),
    errors: clients.reduce((n, c) => n + c.events.filter(is("error")).length, 0),
  };
  console.log(values.json ? JSON.stringify(report) : report);
} finally {
  await Promise.allSettled(clients.map((c) => c.kill()));
  await server.stop();
  await Promise.allSettled(clients.map((c) => Deno.remove(c.home, { recursive: true })));
}
