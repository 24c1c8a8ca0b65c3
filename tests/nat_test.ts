/**
 * Chats across NAT, in network namespaces this test builds (tests/netns/topology.sh):
 * alice and bob each sit behind their own masquerading router that drops
 * inbound connections; carol and the directory are on the public side.
 * Needs root, `ip netns`, nft and tcpdump; skips with the reason otherwise
 * (.ci/setup installs the tools; CI runs as root).
 */
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "./assert.ts";
import { type ClientProcess, type Event, startClient } from "../harness/client_process.ts";
import { type ServeProcess, startServe } from "../harness/serve_process.ts";

const TOPOLOGY = fileURLToPath(new URL("./netns/topology.sh", import.meta.url));
const PREFIX = `p2pc${Deno.pid % 100000}`;
const PORT = 7447;

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

const reason = await missing();
if (reason) console.warn(`nat_test skipped: ${reason}`);

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

/** Opens a chat from a to b and returns the path and how long it took to open. */
async function open(a: ClientProcess, b: ClientProcess): Promise<{ path: unknown; ms: number }> {
  const from = a.events.length;
  const started = performance.now();
  await a.send(`/chat ${b.name}`);
  const event = await a.waitFor(is("chat-open", { peer: b.name }), 20_000, from);
  const ms = performance.now() - started;
  assertEquals((await b.waitFor(is("chat-open", { peer: a.name }), 20_000)).path, event.path);
  return { path: event.path, ms };
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

Deno.test({
  name: "NAT: peers behind NAT chat through the blind relay; a public peer connects directly",
  ignore: reason !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
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
    const clients: ClientProcess[] = [];
    try {
      server = await startServe({
        netns: `${PREFIX}-pub`,
        host: "0.0.0.0",
        args: ["--port", String(PORT)],
      });
      const start = async (name: string, ns: string, host: string): Promise<ClientProcess> => {
        const c = await startClient(name, PORT, {
          netns: `${PREFIX}-${ns}`,
          host,
          listen: "0.0.0.0:0",
          args: ["--auto-accept"],
        });
        clients.push(c);
        await c.waitFor(is("ready"), 20_000);
        return c;
      };
      const alice = await start("alice", "h1", "10.200.1.1");
      const bob = await start("bob", "h2", "10.200.2.1");
      const carol = await start("carol", "p1", "10.200.3.1");

      const relayed = await open(alice, bob);
      assertEquals(relayed.path, "relay", "alice cannot reach bob behind his NAT");
      const direct = await open(bob, carol);
      assertEquals(direct.path, "direct", "carol's port is reachable from behind bob's NAT");
      assertEquals(
        (await open(carol, alice)).path,
        "relay",
        "carol cannot reach alice behind hers",
      );

      const secret = "the parcel is under the third bench";
      await alice.send(`/msg bob ${secret}`);
      await bob.waitFor(is("message", { text: secret }));
      await bob.send("/msg alice and the key is blue");
      await alice.waitFor(is("message", { text: "and the key is blue" }));
      const relayRtt = await roundTrip(alice, bob, 20);
      const directRtt = await roundTrip(bob, carol, 20);
      console.log(
        `NAT figures: open relayed ${relayed.ms.toFixed(0)} ms, direct ${
          direct.ms.toFixed(0)
        } ms; ` +
          `message round trip (send to delivery ack) relayed ${relayRtt.toFixed(1)} ms, direct ${
            directRtt.toFixed(1)
          } ms`,
      );

      // The directory only ever saw ciphertext: nothing readable in what crossed its interfaces.
      await new Promise((r) => setTimeout(r, 300));
      capture.kill("SIGTERM");
      await capture.status;
      const captured = new TextDecoder("latin1").decode(await Deno.readFile(pcap));
      assert(captured.length > 2000, "the capture saw the relayed chat");
      for (const text of ["parcel", "third bench", "key is blue", "ping 1"]) {
        assert(!captured.includes(text), `"${text}" crossed the directory in clear`);
      }

      // A relay that drops is a lost connection, with the messages not delivered.
      bob.process.kill("SIGSTOP");
      await alice.send("/msg bob are you still there");
      await alice.waitFor(is("sent", { text: "are you still there" }));
      await server.stop("SIGKILL");
      const closed = await alice.waitFor(is("chat-closed", { peer: "bob" }), 20_000);
      assertEquals(closed.reason, "connection-lost");
      const undelivered = await alice.waitFor(is("undelivered", { peer: "bob" }), 20_000);
      assert((undelivered.ids as string[]).length >= 1);
      bob.process.kill("SIGCONT");
    } finally {
      try {
        capture.kill("SIGKILL");
      } catch { /* stopped */ }
      await Promise.allSettled(clients.map((c) => c.kill()));
      await server?.stop("SIGKILL");
      await run("bash", [TOPOLOGY, "down", PREFIX]);
      await Deno.remove(pcap).catch(() => {});
    }
  },
});
