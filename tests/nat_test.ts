/**
 * Chats across NAT, in network namespaces this test builds (tests/netns/topology.sh):
 * alice and dave share a LAN behind one masquerading router that drops
 * inbound connections (and alice's direct path to dave is slow: 300 ms each
 * way, through a delaying proxy in dave's home, since this kernel has no
 * netem), bob sits behind another that keeps source ports (Linux's
 * masquerade), erin behind a third that picks a random port for every
 * connection (masquerade random); carol and the directory are on the public
 * side. Between the homes, every packet waits 20 ms each way
 * (tests/netns/delay_link.ts). Needs root, `ip netns`, nft and tcpdump;
 * skips with the reason otherwise (.ci/setup installs the tools; CI runs as
 * root).
 *
 * It prints the figures the README quotes: time to open a chat (p50/p99 over
 * 20 opens) for NATed, direct and slow-direct pairs, the time until a
 * relayed chat moved to its direct path (dialed, or punched through both
 * NATs), and how long a punch through a random-port NAT takes to fail.
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "./assert.ts";
import {
  type ClientProcess,
  eachLine,
  type Event,
  firstLines,
  killAll,
  type ServeProcess,
  startClient,
  startServe,
} from "../harness/mod.ts";
import { percentile } from "../bench/stats.ts";
import { PUNCH_REUSE_GRACE_MS } from "../client/chat/mod.ts";

const TOPOLOGY = fileURLToPath(new URL("./netns/topology.sh", import.meta.url));
const SLOW_PROXY = fileURLToPath(new URL("./netns/slow_proxy.ts", import.meta.url));
const DELAY_LINK = fileURLToPath(new URL("./netns/delay_link.ts", import.meta.url));
const PUNCH_THIEF = fileURLToPath(new URL("./netns/punch_thief.ts", import.meta.url));
/** The delay between the homes, each way (the "link with 20 ms of delay each way"). */
const HOME_DELAY_MS = 20;
/** The routers' public addresses (topology.sh). */
const R1 = "10.200.1.2";
const R2 = "10.200.2.2";
const R3 = "10.200.4.2";
const PREFIX = `p2pc${Deno.pid % 100000}`;
const PORT = 7447;
/** Opens per kind of pair (NAT_OPENS shortens a run while working on this test). */
const OPENS = Number(Deno.env.get("NAT_OPENS") ?? 20);

async function run(program: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(program, { args, stdout: "null", stderr: "null" })
      .output();
    return success;
  } catch {
    return false;
  }
}

/** Why these tests cannot run here, or null. */
async function missing(): Promise<string | null> {
  for (const tool of ["ip", "nft", "tcpdump"]) {
    if (!await run("sh", ["-c", `command -v ${tool}`])) {
      return `${tool} is not installed (.ci/setup installs it)`;
    }
  }
  // The delay between the homes is a TUN device (tests/netns/delay_link.ts).
  if (!await run("test", ["-c", "/dev/net/tun"])) return "there is no /dev/net/tun (modprobe tun)";
  const probe = `${PREFIX}-probe`;
  if (!await run("ip", ["netns", "add", probe])) {
    return "creating a network namespace is not permitted (needs root)";
  }
  await run("ip", ["netns", "del", probe]);
  return null;
}

/**
 * Removes the namespaces of earlier runs that were killed before they could clean up (their
 * prefix names a process that is gone), so that none pile up across runs.
 */
async function removeStale(): Promise<void> {
  const listed = await new Deno.Command("ip", { args: ["netns", "list"], stdout: "piped" })
    .output().catch(() => null);
  const prefixes = new Set(
    new TextDecoder().decode(listed?.stdout ?? new Uint8Array()).matchAll(/^(p2pc(\d+))-\S+/gm)
      .filter((m) => Number(m[2]) !== Deno.pid % 100000)
      .map((m) => m[1]),
  );
  for (const prefix of prefixes) {
    const pid = prefix.slice(4);
    const alive = await run("sh", ["-c", `ps -eo pid= | awk '$1 % 100000 == ${pid}' | grep -q .`]);
    if (!alive) await run("bash", [TOPOLOGY, "down", prefix]);
  }
}

const reason = await missing();
if (reason) console.warn(`nat_test skipped: ${reason}`);

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

/** Opens a chat from a to b; returns its path, how long it took, and its open events' index. */
async function open(
  a: ClientProcess,
  b: ClientProcess,
): Promise<{ path: unknown; ms: number; from: number }> {
  const [fromA, fromB] = [a.events.length, b.events.length];
  const started = performance.now();
  await a.send(`/chat ${b.name}`);
  const event = await a.waitFor(is("chat-open", { peer: b.name }), 20_000, fromA);
  const ms = performance.now() - started;
  assertEquals(
    (await b.waitFor(is("chat-open", { peer: a.name }), 20_000, fromB)).path,
    event.path,
  );
  return { path: event.path, ms, from: fromA };
}

/** Ends the open chat between a and b and waits until both have seen it end. */
async function close(a: ClientProcess, b: ClientProcess): Promise<void> {
  const [fromA, fromB] = [a.events.length, b.events.length];
  await a.send(`/msg ${b.name} bye`);
  await a.send("EOM");
  await a.waitFor(is("chat-closed", { peer: b.name }), 20_000, fromA);
  await b.waitFor(is("chat-closed", { peer: a.name }), 20_000, fromB);
}

/** Median time from sending to the delivery acknowledgement, over `n` messages. */
async function roundTrip(a: ClientProcess, b: ClientProcess, n: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const from = a.events.length;
    const started = performance.now();
    await a.send(`/msg ${b.name} ping ${i}`);
    const sent = await a.waitFor(is("sent", { peer: b.name }), 10_000, from);
    await a.waitFor(is("delivered", { peer: b.name, id: sent.id }), 10_000, from);
    samples.push(performance.now() - started);
  }
  return samples.sort((x, y) => x - y)[Math.floor(n / 2)];
}

const figures = (samples: number[]): string =>
  `p50 ${percentile(samples, 50).toFixed(0)} ms, p99 ${percentile(samples, 99).toFixed(0)} ms`;

/** Runs `program args` in namespace `ns` as a long-lived process whose stdout is read. */
function spawnIn(ns: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command("ip", {
    args: ["netns", "exec", `${PREFIX}-${ns}`, ...args],
    stdout: "piped",
    stderr: "null",
  }).spawn();
}

/** A tcpdump in the public namespace on `device`, writing what matches `filter` to a file. */
async function capture(
  device: string,
  filter: string,
): Promise<{ file: string; stop(): Promise<void> }> {
  const file = await Deno.makeTempFile({ suffix: ".pcap" });
  const process = new Deno.Command("ip", {
    args: ["netns", "exec", `${PREFIX}-pub`, "tcpdump", "-i", device, "-U", "-w", file, filter],
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    file,
    async stop() {
      try {
        process.kill("SIGTERM");
      } catch { /* stopped */ }
      await process.status;
    },
  };
}

/** One captured TCP packet: when (seconds since the epoch), from, to, flags and payload length. */
type Packet = { at: number; from: string; to: string; flags: string; length: number };

/** The TCP packets of a capture file, as tcpdump reads them. */
async function packets(file: string): Promise<Packet[]> {
  const read = await new Deno.Command("tcpdump", {
    args: ["-r", file, "-nn", "-tt", "tcp"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const lines = new TextDecoder().decode(read.stdout).split("\n");
  return lines.flatMap((line) => {
    const m = line.match(/^(\d+\.\d+) IP (\S+) > (\S+): Flags \[([^\]]*)\].* length (\d+)/);
    return m
      ? [{
        at: Number(m[1]),
        from: m[2],
        to: m[3].replace(/:$/, ""),
        flags: m[4],
        length: Number(m[5]),
      }]
      : [];
  });
}

/** `a.b.c.d.port` of a tcpdump endpoint: the address part. */
const hostOf = (endpoint: string): string => endpoint.slice(0, endpoint.lastIndexOf("."));
const portOf = (endpoint: string): number => Number(endpoint.slice(endpoint.lastIndexOf(".") + 1));

Deno.test({
  name:
    "NAT: NATed peers open through the relay at once and punch through to a direct path, a random-port NAT stays relayed, a third party gets nothing, a public peer is direct, a slow direct path takes over a relayed chat without losing a message",
  ignore: reason !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await removeStale();
    assert(await run("bash", [TOPOLOGY, "up", PREFIX]), "topology up");
    const helpers: Deno.ChildProcess[] = [];
    // The 20 ms each way between the homes.
    const delayLink = spawnIn("pub", [
      Deno.execPath(),
      "run",
      "-A",
      DELAY_LINK,
      "dly0",
      String(HOME_DELAY_MS),
    ]);
    helpers.push(delayLink);
    await firstLines(delayLink.stdout, 1);
    const directoryCapture = await capture("any", `tcp port ${PORT}`);
    // bob's uplink and erin's: the punched path, and the punches that could not be.
    const bobCapture = await capture("pub-r2", `tcp and host ${R2}`);
    const erinCapture = await capture("pub-r3", `tcp and host ${R3} and host ${R1}`);
    let server: ServeProcess | undefined;
    const clients: ClientProcess[] = [];
    try {
      server = await startServe({
        netns: `${PREFIX}-pub`,
        host: "0.0.0.0",
        args: ["--port", String(PORT), "--metrics", "127.0.0.1:9447"],
      });
      const start = async (
        name: string,
        ns: string,
        host: string,
        listen = "0.0.0.0:0",
      ): Promise<ClientProcess> => {
        const c = await startClient(name, PORT, {
          netns: `${PREFIX}-${ns}`,
          host,
          listen,
          args: ["--auto-accept"],
        });
        clients.push(c);
        await c.waitFor(is("ready"), 20_000);
        return c;
      };
      const alice = await start("alice", "h1", "10.200.1.1", "10.201.1.22:17002");
      const bob = await start("bob", "h2", "10.200.2.1");
      const carol = await start("carol", "p1", "10.200.3.1");
      const erin = await start("erin", "h4", "10.200.4.1");
      // alice and dave listen on the addresses whose traffic a slow proxy carries (topology.sh).
      const slowProxy = async (ns: string, first: string, second: string) => {
        const proxy = spawnIn(ns, [
          Deno.execPath(),
          "run",
          "-A",
          SLOW_PROXY,
          `${first}:17000`,
          second,
          "300",
        ]);
        helpers.push(proxy);
        await firstLines(proxy.stdout, 1);
      };
      await slowProxy("h1", "10.201.1.2", "10.201.1.22:17002");
      await slowProxy("h3", "10.201.1.3", "10.201.1.33:17001");
      const dave = await start("dave", "h3", "10.200.1.1", "10.201.1.33:17001");
      const ready = (c: ClientProcess) => c.events.find(is("ready"))!;
      const metrics = async (): Promise<string> => {
        const scraped = await new Deno.Command("ip", {
          args: [
            "netns",
            "exec",
            `${PREFIX}-pub`,
            Deno.execPath(),
            "eval",
            'console.log(await (await fetch("http://127.0.0.1:9447/metrics")).text())',
          ],
          stdout: "piped",
          stderr: "null",
        }).output();
        return new TextDecoder().decode(scraped.stdout);
      };
      const metric = async (line: RegExp): Promise<number> =>
        Number((await metrics()).match(line)?.[1]);

      await t.step(
        "each client learns where the directory sees it, and that a NAT sits between",
        () => {
          assertEquals(
            ready(alice).observed,
            `${R1}:${String(ready(alice).observed).split(":")[1]}`,
          );
          assertEquals(ready(alice).nat, true);
          assertEquals(String(ready(bob).observed).split(":")[0], R2);
          assertEquals(ready(bob).nat, true);
          assertEquals(ready(carol).nat, false, "carol is on the public side");
          // A port-keeping NAT keeps the directory connection's port: the punch's premise.
          assert(String(ready(erin).observed).startsWith(`${R3}:`));
        },
      );

      // Both behind NAT: the relay, well within half a second; then a punch to a direct path.
      const natted: number[] = [];
      // Fresh: at least PUNCH_REUSE_GRACE_MS after the last punched chat between the two ports
      // ended; again: opened at once after it, so the punch first waits out the rest of it.
      const punched = { fresh: [] as number[], again: [] as number[] };
      await t.step(
        "NATed peers open through the relay at once and move to a punched path within 2 s",
        async () => {
          for (let i = 0; i < OPENS; i++) {
            const fromB = bob.events.length;
            const opened = await open(alice, bob);
            assertEquals(opened.path, "relay", "alice cannot reach bob behind his NAT");
            natted.push(opened.ms);
            const openedAt = performance.now();
            const moved = await alice.waitFor(
              is("path-changed", { peer: "bob" }),
              2_000,
              opened.from,
            );
            punched[i % 2 === 0 ? "fresh" : "again"].push(performance.now() - openedAt);
            assertEquals([moved.path, moved.via], ["direct", "punched"]);
            const bobMoved = await bob.waitFor(is("path-changed", { peer: "alice" }), 2_000, fromB);
            assertEquals(bobMoved.via, "punched");
            await close(alice, bob);
            if (i % 2 === 1) await new Promise((r) => setTimeout(r, 2 * PUNCH_REUSE_GRACE_MS));
          }
          const all = [...punched.fresh, ...punched.again];
          assert(Math.max(...natted) < 500, `every NATed open within 500 ms: ${figures(natted)}`);
          assert(Math.max(...all) < 2_000, `every punch within 2 s: ${figures(all)}`);
          assert(!alice.events.some(is("punch-failed")), "no punch between r1 and r2 failed");
        },
      );

      await t.step(
        "1,000 messages each way across the punch move; then its records flow between the routers, and the relay counts no more",
        async () => {
          const relayedBefore = await metric(/^p2pchat_relay_bytes_total (\d+)$/m);
          const [fromA, fromB] = [alice.events.length, bob.events.length];
          // Watched while the messages go: the move, and the relay's count a second after it (by
          // then both sides have said `moved` and closed the relayed connection).
          const moved = Promise.all([
            alice.waitFor(is("path-changed", { peer: "bob" }), 30_000, fromA),
            bob.waitFor(is("path-changed", { peer: "alice" }), 30_000, fromB),
          ]).then(async (events) => {
            await new Promise((r) => setTimeout(r, 1_000));
            const at = Date.now() / 1000;
            return { events, at, relayed: await metric(/^p2pchat_relay_bytes_total (\d+)$/m) };
          });
          const crossing = await open(alice, bob);
          assertEquals(crossing.path, "relay");
          for (let i = 0; i < 1000; i++) {
            await alice.send(`/msg bob n ${i}`);
            await bob.send(`/msg alice b ${i}`);
            if (i % 50 === 49) await new Promise((r) => setTimeout(r, 150)); // ~3 s: across the move
          }
          const { events, at: movedAt, relayed: relayedAfterMove } = await moved;
          assertEquals(events.map((e) => e.via), ["punched", "punched"]);
          await bob.waitFor(is("message", { text: "n 999" }), 30_000, fromB);
          await alice.waitFor(is("message", { text: "b 999" }), 30_000, fromA);
          const shown = (c: ClientProcess, from: number) =>
            c.events.slice(from).filter(is("message")).map((e) => e.text);
          const expected = (prefix: string) =>
            Array.from({ length: 1000 }, (_, i) => `${prefix} ${i}`);
          assertEquals(shown(bob, fromB), expected("n"), "alice's: once each, in order");
          assertEquals(shown(alice, fromA), expected("b"), "bob's: once each, in order");
          const allDelivered = (c: ClientProcess, from: number) =>
            new Set(c.events.slice(from).filter(is("delivered")).map((e) => e.id)).size === 1000;
          for (
            let i = 0;
            i < 100 && !(allDelivered(alice, fromA) && allDelivered(bob, fromB));
            i++
          ) {
            await new Promise((r) => setTimeout(r, 100));
          }
          assert(allDelivered(alice, fromA), "every message of alice's reported delivered");
          assert(allDelivered(bob, fromB), "every message of bob's reported delivered");
          assert(!alice.events.slice(fromA).some(is("undelivered")));
          assert(!bob.events.slice(fromB).some(is("undelivered")));
          const relayedAtEnd = await metric(/^p2pchat_relay_bytes_total (\d+)$/m);
          assert(relayedAfterMove > relayedBefore, "the chat was relayed before the move");
          assertEquals(relayedAtEnd, relayedAfterMove, "the relay carried nothing after the move");
          // On bob's uplink, after the move: the chat's records between the routers' public
          // addresses, and nothing of it through the directory's port (only bob's heartbeats).
          await new Promise((r) => setTimeout(r, 300));
          const seen = (await packets(bobCapture.file)).filter((p) => p.at > movedAt);
          const between = seen.filter((p) =>
            [hostOf(p.from), hostOf(p.to)].sort().join() === [R1, R2].sort().join()
          );
          const throughDirectory = seen.filter((p) =>
            portOf(p.from) === PORT || portOf(p.to) === PORT
          );
          const bytes = (ps: Packet[]) => ps.reduce((n, p) => n + p.length, 0);
          assert(
            bytes(between) > 50_000,
            `records between ${R1} and ${R2}: ${bytes(between)} bytes`,
          );
          assert(
            bytes(throughDirectory) < 1_000,
            `through the directory's port: ${bytes(throughDirectory)} bytes`,
          );
          // /chats says how the chat's connection was made.
          const fromChats = alice.events.length;
          await alice.send("/chats");
          const listed = await alice.waitFor(is("chats"), 10_000, fromChats);
          const entry = (listed.chats as Record<string, unknown>[]).find((c) => c.peer === "bob");
          assertEquals([entry?.path, entry?.via], ["direct", "punched"]);
          await close(alice, bob);
        },
      );

      // A public peer: direct, as before.
      const direct: number[] = [];
      await t.step("a public peer opens directly", async () => {
        for (let i = 0; i < OPENS; i++) {
          const opened = await open(bob, carol);
          assertEquals(opened.path, "direct", "carol's port is reachable from behind bob's NAT");
          direct.push(opened.ms);
          await close(bob, carol);
        }
      });

      // A slow direct path (alice and dave on one LAN): the relay first, then the move.
      const slow: number[] = [];
      const upgrades: number[] = [];
      await t.step(
        "a slow direct path takes over a relayed chat; behind one NAT there is no punch",
        async () => {
          for (let i = 0; i < OPENS; i++) {
            const opened = await open(alice, dave);
            assertEquals(opened.path, "relay", "the relay answers before the slow LAN path does");
            slow.push(opened.ms);
            const openedAt = performance.now();
            const moved = await alice.waitFor(
              is("path-changed", { peer: "dave", path: "direct" }),
              30_000,
              opened.from,
            );
            assertEquals(moved.via, "direct", "dialed on the LAN, not punched");
            upgrades.push(performance.now() - openedAt);
            if (i < OPENS - 1) await close(alice, dave);
          }
          assert(
            !alice.events.some(is("punch-failed", { peer: "dave" })),
            "one NAT: nothing to punch",
          );
          // The directory counts the moves (dialed and punched); the side whose move won tells it,
          // a moment after the move.
          let moved = await metric(/^p2pchat_relay_upgraded_total (\d+)$/m);
          for (let i = 0; i < 20 && !(moved >= 2 * OPENS + 1); i++) {
            await new Promise((r) => setTimeout(r, 250));
            moved = await metric(/^p2pchat_relay_upgraded_total (\d+)$/m);
          }
          assert(moved >= 2 * OPENS + 1, `relay upgrades counted: ${moved}`);
        },
      );

      await t.step("1,000 messages each way across a dialed move", async () => {
        await close(alice, dave);
        const crossing = await open(alice, dave);
        assertEquals(crossing.path, "relay");
        const [fromA, fromD] = [alice.events.length, dave.events.length];
        for (let i = 0; i < 1000; i++) {
          await alice.send(`/msg dave n ${i}`);
          await dave.send(`/msg alice d ${i}`);
          if (i % 50 === 49) await new Promise((r) => setTimeout(r, 150)); // ~3 s: across the move
        }
        await alice.waitFor(is("path-changed", { peer: "dave" }), 30_000, fromA);
        await dave.waitFor(is("path-changed", { peer: "alice" }), 30_000, fromD);
        await dave.waitFor(is("message", { text: "n 999" }), 30_000, fromD);
        await alice.waitFor(is("message", { text: "d 999" }), 30_000, fromA);
        const shown = (c: ClientProcess, from: number) =>
          c.events.slice(from).filter(is("message")).map((e) => e.text);
        const expected = (prefix: string) =>
          Array.from({ length: 1000 }, (_, i) => `${prefix} ${i}`);
        assertEquals(shown(dave, fromD), expected("n"), "alice's: once each, in order");
        assertEquals(shown(alice, fromA), expected("d"), "dave's: once each, in order");
        const allDelivered = (c: ClientProcess, from: number) =>
          new Set(c.events.slice(from).filter(is("delivered")).map((e) => e.id)).size === 1000;
        for (
          let i = 0;
          i < 100 && !(allDelivered(alice, fromA) && allDelivered(dave, fromD));
          i++
        ) {
          await new Promise((r) => setTimeout(r, 100));
        }
        assert(allDelivered(alice, fromA), "every message of alice's reported delivered");
        assert(allDelivered(dave, fromD), "every message of dave's reported delivered");
        assert(!alice.events.slice(fromA).some(is("undelivered")));
        assert(!dave.events.slice(fromD).some(is("undelivered")));
      });

      // A NAT that picks a new port per connection: the punch cannot work, the relay goes on.
      let relayed: Awaited<ReturnType<typeof open>> | undefined;
      const failedAfter: number[] = [];
      await t.step(
        "through a random-port NAT the chat stays relayed, works, says the punch failed, tries 3 times at most, and not again soon",
        async () => {
          const secret = "the parcel is under the third bench";
          await alice.send(`/msg dave ${secret}`);
          await dave.waitFor(is("message", { text: secret }));
          relayed = await open(erin, alice);
          assertEquals(relayed.path, "relay");
          const openedAt = performance.now();
          const failed = await erin.waitFor(
            is("punch-failed", { peer: "alice" }),
            20_000,
            relayed.from,
          );
          failedAfter.push(performance.now() - openedAt);
          const aliceFailed = await alice.waitFor(is("punch-failed", { peer: "erin" }), 20_000);
          for (const report of [failed, aliceFailed]) {
            assert(
              Number(report.attempts) >= 1 && Number(report.attempts) <= 3,
              `attempts: ${report.attempts}`,
            );
            assertEquals(report.detail, "timeout", "the SYNs never met");
          }
          await erin.send("/msg alice and the key is blue");
          await alice.waitFor(is("message", { text: "and the key is blue" }));
          assert(
            !alice.events.slice(relayed.from).some(is("path-changed", { peer: "erin" })),
            "stays relayed",
          );
          // Each attempt leaves erin's router from a new random port: at most 3 of them. Wait
          // for the last attempts' SYNs to be captured (a busy machine writes them late), so the
          // count below is what the first chat sent.
          await new Promise((r) => setTimeout(r, 1_500));
          // Punching SYNs go to the other's observed port (each chat's own direct attempts, to
          // the listening port, go on meanwhile and are not counted).
          const observedPort = (c: ClientProcess) =>
            Number(String(ready(c).observed).split(":")[1]);
          const punchSyns = async () =>
            (await packets(erinCapture.file)).filter((p) =>
              p.flags === "S" &&
              (p.to === `${R1}.${observedPort(alice)}` || p.to === `${R3}.${observedPort(erin)}`)
            );
          const syns = await punchSyns();
          const erinPorts = new Set(
            syns.filter((p) => hostOf(p.from) === R3).map((p) => portOf(p.from)),
          );
          assert(
            erinPorts.size >= 1 && erinPorts.size <= 3,
            `erin's punching ports: ${[...erinPorts]}`,
          );
          const aliceSyns = syns.filter((p) => hostOf(p.from) === R1).length;
          assert(
            aliceSyns >= 1 && aliceSyns <= 6,
            `alice's punching SYNs, 3 attempts with a retry each at most: ${aliceSyns}`,
          );
          // A second chat with erin does not punch again: no new punching SYN between the routers.
          const before = syns.length;
          await close(erin, alice);
          const again = await open(erin, alice);
          assertEquals(again.path, "relay");
          await new Promise((r) => setTimeout(r, 2_000));
          assertEquals(
            (await punchSyns()).length,
            before,
            "a pair that failed lately is not punched again",
          );
          assert(!erin.events.slice(again.from).some(is("punch-failed")), "and not said again");
          relayed = again;
          assert(
            await metric(/^p2pchat_punch_total\{result="failed"\} (\d+)$/m) >= 1,
            "the failure counted",
          );
          assert(
            await metric(/^p2pchat_punch_total\{result="success"\} (\d+)$/m) >= OPENS + 1,
            "the successes counted",
          );
        },
      );

      await t.step(
        "a third party on the path that takes both punched connections gets nothing: its key is refused",
        async () => {
          const thief = spawnIn("pub", [
            Deno.execPath(),
            "run",
            "-A",
            PUNCH_THIEF,
            "10.200.3.1:17999",
          ]);
          helpers.push(thief);
          const lines: string[] = [];
          const reading = eachLine(thief.stdout, (line) => lines.push(line));
          for (let i = 0; i < 100 && lines.length === 0; i++) {
            await new Promise((r) => setTimeout(r, 50));
          }
          const mallory = JSON.parse(lines[0]).fingerprint as string;
          // Everything between alice's and bob's observed ports goes to the thief, both ways.
          const port = (c: ClientProcess) => Number(String(ready(c).observed).split(":")[1]);
          const rules = `table ip thief {
  chain prerouting {
    type nat hook prerouting priority -100;
    iifname "pub-r2" ip daddr ${R1} tcp dport ${port(alice)} dnat to 10.200.3.1:17999
    iifname "pub-r1" ip daddr ${R2} tcp dport ${port(bob)} dnat to 10.200.3.1:17999
  }
}`;
          const nft = new Deno.Command("ip", {
            args: ["netns", "exec", `${PREFIX}-pub`, "nft", "-f", "-"],
            stdin: "piped",
          }).spawn();
          const writer = nft.stdin.getWriter();
          await writer.write(new TextEncoder().encode(rules));
          await writer.close();
          assert((await nft.status).success, "the thief's rules");
          try {
            const from = { alice: alice.events.length, bob: bob.events.length };
            const opened = await open(alice, bob);
            assertEquals(opened.path, "relay");
            for (const [c, peer] of [[alice, "bob"], [bob, "alice"]] as const) {
              const since = from[c.name as "alice" | "bob"];
              const failed = await c.waitFor(is("punch-failed", { peer }), 20_000, since);
              assertEquals(failed.detail, "unexpected-key");
              const warned = c.events.slice(since).filter(
                is("security-warning", { peer, reason: "unexpected-key" }),
              );
              assertEquals(warned.length, 1, "warned once");
              assertEquals(warned[0].got, mallory);
              assertEquals(warned[0].detail, "punch");
            }
            await alice.send("/msg bob still relayed, still ours");
            await bob.waitFor(is("message", { text: "still relayed, still ours" }));
            assert(!alice.events.slice(opened.from).some(is("path-changed", { peer: "bob" })));
            await new Promise((r) => setTimeout(r, 500));
            const stolen = lines.slice(1).map((l) => JSON.parse(l));
            assert(
              stolen.length >= 2,
              `the thief took the punched connections: ${lines.join(" ")}`,
            );
            assert(
              stolen.every((s) => s.heard === 0),
              `the thief heard nothing: ${lines.join(" ")}`,
            );
            await close(alice, bob);
          } finally {
            await run("ip", [
              "netns",
              "exec",
              `${PREFIX}-pub`,
              "nft",
              "delete",
              "table",
              "ip",
              "thief",
            ]);
            try {
              thief.kill("SIGKILL");
            } catch { /* gone */ }
            await reading.catch(() => {});
          }
        },
      );

      let relayRtt = 0;
      let directRtt = 0;
      await t.step("the directory only ever saw ciphertext", async () => {
        relayRtt = await roundTrip(erin, alice, 20);
        directRtt = await roundTrip(alice, dave, 20);
        await new Promise((r) => setTimeout(r, 300));
        await directoryCapture.stop();
        const captured = new TextDecoder("latin1").decode(
          await Deno.readFile(directoryCapture.file),
        );
        assert(captured.length > 2000, "the capture saw the relayed chat");
        for (
          const text of ["parcel", "third bench", "key is blue", "ping 1", "n 500", "still ours"]
        ) {
          assert(!captured.includes(text), `"${text}" crossed the directory in clear`);
        }
      });

      console.log(
        `NAT figures over ${OPENS} opens (homes ${HOME_DELAY_MS} ms apart each way): NATed (relay) ${
          figures(natted)
        }, then punched direct after ${figures(punched.fresh)} (opened again at once: ${
          figures(punched.again)
        }); direct ${figures(direct)}; slow direct (via relay first) ${
          figures(slow)
        }, then direct after ${figures(upgrades)}; a punch through a random-port NAT failed after ${
          figures(failedAfter)
        }; message round trip relayed ${relayRtt.toFixed(1)} ms, moved-to-direct ${
          directRtt.toFixed(1)
        } ms (300 ms each way on that path)`,
      );

      await t.step(
        "the relay dies: the moved chat goes on; the relayed one ends as connection-lost",
        async () => {
          const beforeDeath = alice.events.length;
          await server!.stop("SIGKILL");
          const fromDave = dave.events.length;
          await alice.send("/msg dave still here after the relay died");
          await dave.waitFor(
            is("message", { text: "still here after the relay died" }),
            10_000,
            fromDave,
          );
          const closed = await alice.waitFor(
            is("chat-closed", { peer: "erin" }),
            20_000,
            beforeDeath,
          );
          assertEquals(closed.reason, "connection-lost");
          assert(
            !alice.events.slice(beforeDeath).some(is("chat-closed", { peer: "dave" })),
            "the direct chat goes on",
          );
        },
      );
    } finally {
      for (const c of [directoryCapture, bobCapture, erinCapture]) await c.stop();
      await Promise.allSettled(clients.map((c) => c.kill()));
      await server?.stop("SIGKILL");
      await killAll(helpers);
      await run("bash", [TOPOLOGY, "down", PREFIX]);
      for (const c of [directoryCapture, bobCapture, erinCapture]) {
        await Deno.remove(c.file).catch(() => {});
      }
    }
  },
});
