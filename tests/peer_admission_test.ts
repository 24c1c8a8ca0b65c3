/**
 * A client's listening port under attack (docs/protocol.md §10.1): silent
 * connections from one address and from many, and registered identities
 * that each leave a chat request open. alice and bob are real `connect`
 * processes; the attackers are written here. Whatever they do, bob reaches
 * alice within a few seconds, directly or through the relay.
 */
import net from "node:net";
import { assertEquals } from "./assert.ts";
import { type ClientProcess, type Event, startClient, startServe } from "../harness/mod.ts";
import {
  Identity,
  initiateChannel,
  type SecureChannel,
  socketTransport,
  type Transport,
} from "../crypto/mod.ts";
import { DirectoryClient } from "../client/directory/mod.ts";
import { startFlood } from "./flood.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

/** How long bob may take to reach alice with the attack going on. */
const REACH_MS = 8_000;

/** alice (auto-accepting) and bob, both online; `fn` attacks alice's port `port`. */
async function pair(
  fn: (alice: ClientProcess, bob: ClientProcess, port: number, server: number) => Promise<void>,
  aliceArgs = ["--auto-accept"],
): Promise<void> {
  const server = await startServe({ args: ["--register-rate", "0"] });
  const alice = await startClient("alice", server.port, { args: aliceArgs });
  const bob = await startClient("bob", server.port);
  try {
    const ready = await alice.waitFor(is("ready"));
    await bob.waitFor(is("ready"));
    await fn(alice, bob, Number(String(ready.listen).split(":").pop()), server.port);
  } finally {
    await Promise.all([alice.kill(), bob.kill()]);
    await server.stop();
  }
}

/** bob asks alice to chat; returns how long the chat took to open, and how it went. */
async function bobReachesAlice(alice: ClientProcess, bob: ClientProcess, accept = false) {
  const started = Date.now();
  await bob.send("/chat alice");
  if (accept) {
    await alice.waitFor(is("chat-request", { peer: "bob" }), REACH_MS);
    await alice.send("/accept bob");
  }
  const open = await bob.waitFor(is("chat-open", { peer: "alice" }), REACH_MS);
  await alice.waitFor(is("chat-open", { peer: "bob" }), REACH_MS);
  return { ms: Date.now() - started, path: open.path };
}

/** `count` silent TCP connections to `port`, held until closed. */
async function silent(port: number, count: number): Promise<Deno.TcpConn[]> {
  return await Promise.all(
    Array.from({ length: count }, () => Deno.connect({ hostname: "127.0.0.1", port })),
  );
}

/** A TCP connection from the loopback address `source`, as a Transport (node:net binds it). */
function connectFrom(source: string, port: number): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress: source });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socketTransport(socket));
    });
  });
}

Deno.test("peer admission: 18 silent connections from one address do not lock a client out; bob reaches it within seconds", async () => {
  await pair(async (alice, bob, port) => {
    const conns = await silent(port, 18);
    try {
      const { ms, path } = await bobReachesAlice(alice, bob);
      console.log(`bob reached alice in ${ms} ms via ${path} with 18 silent sockets open`);
    } finally {
      conns.forEach((c) => c.close());
    }
  });
});

Deno.test("peer admission: silent connections from 20 addresses, renewed as fast as they close, do not lock a client out", async () => {
  await pair(async (alice, bob, port) => {
    const flood = startFlood(port, { addresses: 20, perAddress: 8, subnet: 78 });
    try {
      await new Promise((r) => setTimeout(r, 500)); // the flood holds every slot it can
      const { ms, path } = await bobReachesAlice(alice, bob);
      console.log(`bob reached alice in ${ms} ms via ${path} under a flood from 20 addresses`);
    } finally {
      await flood.stop();
    }
  });
});

Deno.test("peer admission: 20 registered identities from one address each leaving a request open hold at most 4; bob's request still comes through", async () => {
  await pair(async (alice, bob, port, serverPort) => {
    const channels: SecureChannel[] = [];
    const directories: DirectoryClient[] = [];
    try {
      // One after another: each finishes its handshake (a place at the gate) and leaves a request.
      const answers: string[] = [];
      for (let i = 0; i < 20; i++) {
        const identity = Identity.generate();
        const directory = await DirectoryClient.connect(
          { hostname: "127.0.0.1", port: serverPort },
          { identity, heartbeatMs: 0 },
        );
        directories.push(directory);
        await directory.register(`sybil${i}`, 1);
        const channel = await initiateChannel(await connectFrom("127.0.0.2", port), identity);
        channels.push(channel);
        const hello = { type: "hello", name: `sybil${i}` };
        await channel.send(new TextEncoder().encode(JSON.stringify(hello)));
        // Leave the request open: take alice's answer if one comes at once, without hanging up.
        const bytes = await Promise.race([
          channel.receive().catch(() => null),
          new Promise<null>((r) => setTimeout(() => r(null), 500)),
        ]);
        answers.push(bytes === null ? "none" : JSON.parse(new TextDecoder().decode(bytes)).reason);
      }
      // Four wait for alice's answer; the other sixteen are told busy at once.
      assertEquals(answers.filter((a) => a === "busy").length, 16, String(answers));
      const requests = alice.events.filter((e) =>
        is("chat-request")(e) && String(e.peer).startsWith("sybil")
      );
      assertEquals(requests.length, 4, "requests shown from one address");
      const { ms, path } = await bobReachesAlice(alice, bob, true);
      console.log(`bob reached alice in ${ms} ms via ${path} past 20 sybil requests`);
    } finally {
      channels.forEach((c) => c.abort());
      await Promise.all(directories.map((d) => d.bye().catch(() => {})));
    }
  }, []);
});
