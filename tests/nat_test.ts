/**
 * Chats across NAT, in network namespaces this test builds (tests/netns/topology.sh):
 * alice and dave share a LAN behind one masquerading router that drops
 * inbound connections (and alice's direct path to dave is slow: 300 ms each
 * way, through a delaying proxy in dave's home, since this kernel has no
 * netem), bob sits behind another; carol and the directory are on the public
 * side. Needs root, `ip netns`, nft and tcpdump; skips with the reason
 * otherwise (.ci/setup installs the tools; CI runs as root).
 *
 * It prints the figures the README quotes: time to open a chat (p50/p99 over
 * 20 opens) for NATed, direct and slow-direct pairs, and the time until a
 * relayed chat moved to its direct path.
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "./assert.ts";
import {
  type ClientProcess,
  type Event,
  firstLines,
  killAll,
  type ServeProcess,
  startClient,
  startServe,
} from "../harness/mod.ts";
import { percentile } from "../bench/stats.ts";

const TOPOLOGY = fileURLToPath(new URL("./netns/topology.sh", import.meta.url));
const SLOW_PROXY = fileURLToPath(new URL("./netns/slow_proxy.ts", import.meta.url));
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

Deno.test({
  name:
    "NAT: NATed peers open through the relay at once, a public peer directly, a slow direct path takes over a relayed chat without losing a message",
  ignore: reason !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await removeStale();
    assert(await run("bash", [TOPOLOGY, "up", PREFIX]), "topology up");
    const pcap = await Deno.makeTempFile({ suffix: ".pcap" });
    const capture = new Deno.Command("ip", {
      args: [
        "netns",
        "exec",
        `${PREFIX}-pub`,
        "tcpdump",
        "-i",
        "any",
        "-U",
        "-w",
        pcap,
        `tcp port ${PORT}`,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    let server: ServeProcess | undefined;
    const proxies: Deno.ChildProcess[] = [];
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
      // alice and dave listen on the addresses whose traffic a slow proxy carries (topology.sh).
      const slowProxy = async (ns: string, first: string, second: string) => {
        const proxy = new Deno.Command("ip", {
          args: [
            "netns",
            "exec",
            `${PREFIX}-${ns}`,
            Deno.execPath(),
            "run",
            "-A",
            SLOW_PROXY,
            `${first}:17000`,
            second,
            "300",
          ],
          stdout: "piped",
          stderr: "null",
        }).spawn();
        proxies.push(proxy);
        await firstLines(proxy.stdout, 1);
      };
      await slowProxy("h1", "10.201.1.2", "10.201.1.22:17002");
      await slowProxy("h3", "10.201.1.3", "10.201.1.33:17001");
      const dave = await start("dave", "h3", "10.200.1.1", "10.201.1.33:17001");

      // Both behind NAT: the relay, well within half a second.
      const natted: number[] = [];
      for (let i = 0; i < OPENS; i++) {
        const opened = await open(alice, bob);
        assertEquals(opened.path, "relay", "alice cannot reach bob behind his NAT");
        natted.push(opened.ms);
        await close(alice, bob);
      }
      assert(Math.max(...natted) < 500, `every NATed open within 500 ms: ${figures(natted)}`);

      // A public peer: direct, as before.
      const direct: number[] = [];
      for (let i = 0; i < OPENS; i++) {
        const opened = await open(bob, carol);
        assertEquals(opened.path, "direct", "carol's port is reachable from behind bob's NAT");
        direct.push(opened.ms);
        await close(bob, carol);
      }

      // A slow direct path (alice and dave on one LAN): the relay first, then the move.
      const slow: number[] = [];
      const upgrades: number[] = [];
      for (let i = 0; i < OPENS; i++) {
        const opened = await open(alice, dave);
        assertEquals(opened.path, "relay", "the relay answers before the slow LAN path does");
        slow.push(opened.ms);
        const openedAt = performance.now();
        await alice.waitFor(
          is("path-changed", { peer: "dave", path: "direct" }),
          30_000,
          opened.from,
        );
        upgrades.push(performance.now() - openedAt);
        if (i < OPENS - 1) await close(alice, dave);
      }
      // The directory counts the moves (its metrics listen inside its namespace); the side
      // whose move won tells it, a moment after the move.
      const movesCounted = async () => {
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
        const metrics = new TextDecoder().decode(scraped.stdout);
        return Number(metrics.match(/^p2pchat_relay_upgraded_total (\d+)$/m)?.[1]);
      };
      let moved = await movesCounted();
      for (let i = 0; i < 20 && !(moved >= OPENS); i++) {
        await new Promise((r) => setTimeout(r, 250));
        moved = await movesCounted();
      }
      assert(moved >= OPENS, `relay upgrades counted: ${moved}`);

      // 1,000 messages each way across a move: each arrives once, in order, reported delivered.
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
      const expected = (prefix: string) => Array.from({ length: 1000 }, (_, i) => `${prefix} ${i}`);
      assertEquals(shown(dave, fromD), expected("n"), "alice's: once each, in order");
      assertEquals(shown(alice, fromA), expected("d"), "dave's: once each, in order");
      const allDelivered = (c: ClientProcess, from: number) =>
        new Set(c.events.slice(from).filter(is("delivered")).map((e) => e.id)).size === 1000;
      for (let i = 0; i < 100 && !(allDelivered(alice, fromA) && allDelivered(dave, fromD)); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert(allDelivered(alice, fromA), "every message of alice's reported delivered");
      assert(allDelivered(dave, fromD), "every message of dave's reported delivered");
      assert(!alice.events.slice(fromA).some(is("undelivered")));
      assert(!dave.events.slice(fromD).some(is("undelivered")));

      const secret = "the parcel is under the third bench";
      await alice.send(`/msg dave ${secret}`);
      await dave.waitFor(is("message", { text: secret }));
      const relayed = await open(bob, alice);
      assertEquals(relayed.path, "relay");
      await bob.send("/msg alice and the key is blue");
      await alice.waitFor(is("message", { text: "and the key is blue" }));
      const relayRtt = await roundTrip(bob, alice, 20);
      // A pair that cannot reach each other directly stays relayed (alice kept trying meanwhile).
      assert(
        !alice.events.slice(relayed.from).some(is("path-changed", { peer: "bob" })),
        "alice and bob stay relayed",
      );
      const directRtt = await roundTrip(alice, dave, 20);
      console.log(
        `NAT figures over ${OPENS} opens: NATed (relay) ${figures(natted)}; direct ${
          figures(direct)
        }; slow direct (via relay first) ${figures(slow)}, then direct after ${
          figures(upgrades)
        }; message round trip relayed ${relayRtt.toFixed(1)} ms, moved-to-direct ${
          directRtt.toFixed(1)
        } ms (300 ms each way on that path)`,
      );

      // The directory only ever saw ciphertext: nothing readable in what crossed its interfaces.
      await new Promise((r) => setTimeout(r, 300));
      capture.kill("SIGTERM");
      await capture.status;
      const captured = new TextDecoder("latin1").decode(await Deno.readFile(pcap));
      assert(captured.length > 2000, "the capture saw the relayed chat");
      for (const text of ["parcel", "third bench", "key is blue", "ping 1", "n 500"]) {
        assert(!captured.includes(text), `"${text}" crossed the directory in clear`);
      }

      // The relay dies: the moved chat goes on; the relayed one ends as connection-lost.
      const beforeDeath = alice.events.length;
      await server.stop("SIGKILL");
      const fromDave = dave.events.length;
      await alice.send("/msg dave still here after the relay died");
      await dave.waitFor(
        is("message", { text: "still here after the relay died" }),
        10_000,
        fromDave,
      );
      const closed = await alice.waitFor(is("chat-closed", { peer: "bob" }), 20_000, beforeDeath);
      assertEquals(closed.reason, "connection-lost");
      assert(
        !alice.events.slice(beforeDeath).some(is("chat-closed", { peer: "dave" })),
        "the direct chat goes on",
      );
    } finally {
      try {
        capture.kill("SIGKILL");
      } catch { /* stopped */ }
      await Promise.allSettled(clients.map((c) => c.kill()));
      await server?.stop("SIGKILL");
      await killAll(proxies);
      await run("bash", [TOPOLOGY, "down", PREFIX]);
      await Deno.remove(pcap).catch(() => {});
    }
  },
});
