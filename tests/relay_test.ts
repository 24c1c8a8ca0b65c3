import { assert, assertEquals } from "./assert.ts";
import { type ClientProcess, type Event, startClient } from "../harness/client_process.ts";
import { scrape } from "../harness/process_io.ts";
import { eventually, type ServeProcess, startServe } from "../harness/serve_process.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

const gauge = (server: ServeProcess, name: string): Promise<number> =>
  scrape(`${server.metricsUrl}/metrics`, name);

async function clients(
  server: ServeProcess,
  specs: [string, string[]][],
): Promise<ClientProcess[]> {
  const started = await Promise.all(
    specs.map(([name, args]) => startClient(name, server.port, { args })),
  );
  await Promise.all(started.map((c) => c.waitFor(is("ready"))));
  return started;
}

async function relayedChat(a: ClientProcess, b: ClientProcess): Promise<void> {
  const from = a.events.length;
  await a.send(`/chat ${b.name}`);
  const open = await a.waitFor(is("chat-open", { peer: b.name }), 10_000, from);
  assertEquals(open.path, "relay");
  assertEquals((await b.waitFor(is("chat-open", { peer: a.name }))).path, "relay");
}

Deno.test("relay: a chat through the directory works, both ends say so, and /metrics counts it", async () => {
  const server = await startServe({ args: ["--metrics", "127.0.0.1:0"] });
  const [alice, bob] = await clients(server, [["alice", ["--relay", "always"]], ["bob", [
    "--auto-accept",
  ]]]);
  try {
    await relayedChat(alice, bob);
    const [openA, openB] = [alice.events.find(is("chat-open"))!, bob.events.find(is("chat-open"))!];
    assertEquals(openA.sas, openB.sas, "the end-to-end handshake ran through the relay");
    await alice.send("through the relay");
    await bob.waitFor(is("message", { text: "through the relay" }));
    await alice.waitFor(is("delivered", { peer: "bob" }));
    assertEquals(await gauge(server, "p2pchat_relay_sessions_open"), 1);
    assert(await gauge(server, "p2pchat_relay_bytes_total") > 0);
    await bob.send("EOM");
    await alice.waitFor(is("chat-closed", { peer: "bob", reason: "eom" }));
    assert(await eventually(async () => await gauge(server, "p2pchat_relay_sessions_open") === 0));
  } finally {
    await Promise.all([alice.kill(), bob.kill()]);
    await server.stop();
  }
});

Deno.test("relay: serve --relay off refuses relaying with a clear error", async () => {
  const server = await startServe({ args: ["--relay", "off"] });
  const [alice, bob] = await clients(server, [["alice", ["--relay", "always"]], ["bob", []]]);
  try {
    await alice.send("/chat bob");
    const error = await alice.waitFor(is("error"));
    assertEquals(error.code, "relay-disabled");
    assert(!bob.events.some(is("chat-request")));
  } finally {
    await Promise.all([alice.kill(), bob.kill()]);
    await server.stop();
  }
});

Deno.test("relay: a chat over its byte bound is cut off like a lost connection; other relayed chats go on", async () => {
  const server = await startServe({
    args: ["--relay-max-bytes", "6K", "--metrics", "127.0.0.1:0"],
  });
  const [alice, bob, carol, dave] = await clients(server, [
    ["alice", ["--relay", "always"]],
    ["bob", ["--auto-accept"]],
    ["carol", ["--relay", "always"]],
    ["dave", ["--auto-accept"]],
  ]);
  try {
    await relayedChat(alice, bob);
    await relayedChat(carol, dave);
    const line = "x".repeat(1000);
    for (let i = 0; i < 12; i++) await alice.send(`${i} ${line}`);
    const closed = await alice.waitFor(is("chat-closed", { peer: "bob" }));
    assertEquals(closed.reason, "connection-lost");
    await bob.waitFor(is("chat-closed", { peer: "alice", reason: "connection-lost" }));
    await carol.send("still here");
    await dave.waitFor(is("message", { text: "still here" }));
    assertEquals(await gauge(server, "p2pchat_relay_sessions_open"), 1);
  } finally {
    await Promise.all([alice, bob, carol, dave].map((c) => c.kill()));
    await server.stop();
  }
});

Deno.test("relay: a user over its relayed-chat limit is refused; its open chat goes on", async () => {
  const server = await startServe({ args: ["--relay-max-per-client", "1"] });
  const [alice, bob, carol] = await clients(server, [
    ["alice", ["--relay", "always"]],
    ["bob", ["--auto-accept"]],
    ["carol", ["--auto-accept"]],
  ]);
  try {
    await relayedChat(alice, bob);
    const from = alice.events.length;
    await alice.send("/chat carol");
    assertEquals((await alice.waitFor(is("error"), 10_000, from)).code, "relay-limit");
    await alice.send("/msg bob unaffected");
    await bob.waitFor(is("message", { text: "unaffected" }));
  } finally {
    await Promise.all([alice, bob, carol].map((c) => c.kill()));
    await server.stop();
  }
});
