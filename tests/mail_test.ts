/**
 * Offline mail end to end (docs/protocol.md §11): real `serve` and
 * `connect` processes over real sockets.
 */
import { assert, assertEquals } from "./assert.ts";
import { type ClientProcess, type Event, startClient } from "../harness/client_process.ts";
import { type ServeProcess, startServe } from "../harness/serve_process.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

async function online(name: string, server: ServeProcess, home?: string): Promise<ClientProcess> {
  const client = await startClient(name, server.port, home ? { home } : {});
  await client.waitFor(is("ready"));
  return client;
}

/** Every byte of every file under `dir`. */
async function allBytes(dir: string): Promise<string> {
  let out = "";
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isFile) out += new TextDecoder("latin1").decode(await Deno.readFile(path));
  }
  return out;
}

Deno.test("mail: alice leaves bob a message while he is offline; serve restarts; bob sees it once with its time; alice sees it delivered", async () => {
  const data = await Deno.makeTempDir();
  const bobHome = await Deno.makeTempDir();
  let server = await startServe({ data });
  const port = server.port;
  const clients: ClientProcess[] = [];
  try {
    // bob registers once (binding his name and prekey), then leaves.
    const bob1 = await online("bob", server, bobHome);
    assertEquals(await bob1.quit(), 0);
    const alice = await online("alice", server);
    clients.push(alice);
    await alice.send("/msg bob see you at nine, bring the map");
    const queued = await alice.waitFor(is("queued", { peer: "bob" }));
    assertEquals(queued.text, "see you at nine, bring the map");
    await alice.send("/mail");
    const waiting = await alice.waitFor(is("mail"));
    assertEquals((waiting.messages as { id: string }[]).map((m) => m.id), [queued.id]);

    // The directory holds it sealed: no plaintext anywhere in its data directory.
    const stored = await allBytes(data);
    assert(!stored.includes("see you at nine"), "plaintext in the directory's files");
    assert(!stored.includes("bring the map"), "plaintext in the directory's files");

    // serve restarts on the same port: the message survives.
    await server.stop();
    server = await startServe({ data, args: ["--port", String(port)] });
    assertEquals(server.port, port);
    await alice.waitFor(is("server-restored"), 20_000);

    const bob = await online("bob", server, bobHome);
    clients.push(bob);
    const got = await bob.waitFor(is("message", { peer: "alice", offline: true }));
    assertEquals(got.text, "see you at nine, bring the map");
    assertEquals(got.id, queued.id);
    assertEquals(got.time, queued.time, "shown with the time it was sent");
    const delivered = await alice.waitFor(is("delivered", { peer: "bob", offline: true }), 15_000);
    assertEquals(delivered.id, queued.id);
    await alice.send("/mail");
    const after = await alice.waitFor(is("mail"), 5_000, alice.events.indexOf(waiting) + 1);
    assertEquals(after.messages, [], "nothing waits once the receipt came");

    // bob again: acknowledged mail is gone from the directory, and shown once only.
    assertEquals(await bob.quit(), 0);
    clients.pop();
    const bob3 = await online("bob", server, bobHome);
    clients.push(bob3);
    await new Promise((r) => setTimeout(r, 1000));
    assertEquals(bob3.events.filter(is("message")).length, 0, "not shown twice");
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await server.stop();
  }
});

Deno.test("mail: /msg to a name never bound is not-found; to someone online, a hint to /chat", async () => {
  const server = await startServe();
  const alice = await online("alice", server);
  const bob = await online("bob", server);
  try {
    await alice.send("/msg nobody hello");
    const error = await alice.waitFor(is("error"));
    assertEquals(error.code, "not-found");
    await alice.send("/msg bob hello");
    const hint = await alice.waitFor(is("error", { code: "bad-command" }));
    assert(String(hint.message).includes("/chat bob"), String(hint.message));
  } finally {
    await alice.kill();
    await bob.kill();
    await server.stop();
  }
});

Deno.test("mail: serve --mail off refuses with a reason; nothing is queued", async () => {
  const server = await startServe({ args: ["--mail", "off"] });
  try {
    const bob = await online("bob", server);
    assertEquals(await bob.quit(), 0);
    const alice = await online("alice", server);
    await alice.send("/msg bob are you there?");
    const undelivered = await alice.waitFor(is("undelivered", { peer: "bob" }));
    assertEquals(undelivered.reason, "refused");
    assert(String(undelivered.message).includes("--mail off"), String(undelivered.message));
    assertEquals(alice.events.filter(is("queued")).length, 0);
    await alice.kill();
  } finally {
    await server.stop();
  }
});

Deno.test("mail: past 100 messages from one sender the directory says mailbox-full; others still get through", async () => {
  const server = await startServe({ args: ["--register-rate", "0"] });
  try {
    const bob = await online("bob", server);
    assertEquals(await bob.quit(), 0);
    const alice = await online("alice", server);
    for (let i = 0; i < 101; i++) await alice.send(`/msg bob note ${i}`);
    const full = await alice.waitFor(is("undelivered", { peer: "bob" }), 60_000);
    assertEquals(full.reason, "mailbox-full");
    assertEquals(full.texts, ["note 100"]);
    assertEquals(alice.events.filter(is("queued")).length, 100);
    const carol = await online("carol", server);
    await carol.send("/msg bob carol here");
    await carol.waitFor(is("queued", { peer: "bob" }));
    await alice.kill();
    await carol.kill();
  } finally {
    await server.stop();
  }
});

Deno.test("mail: a pinned key that changed is a security-warning and nothing is sent", async () => {
  const server = await startServe({ args: ["--name-ttl", "1s"] });
  try {
    const bob = await online("bob", server);
    const alice = await online("alice", server);
    // alice meets bob: his key is pinned.
    await alice.send("/chat bob");
    await bob.waitFor(is("chat-request"));
    await bob.send("/accept alice");
    await alice.waitFor(is("chat-open"));
    await alice.send("EOM");
    await alice.waitFor(is("chat-closed"));
    assertEquals(await bob.quit(), 0);
    // The name lapses and someone else, with another key, binds "bob" and leaves.
    await new Promise((r) => setTimeout(r, 2500));
    const impostor = await online("bob", server);
    assertEquals(await impostor.quit(), 0);
    await alice.send("/msg bob the plan is on");
    const warning = await alice.waitFor(is("security-warning", { peer: "bob" }));
    assertEquals(warning.reason, "key-changed");
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(alice.events.filter(is("queued")).length, 0, "nothing sent");
    await alice.kill();
  } finally {
    await server.stop();
  }
});

Deno.test("mail: a message the directory held past --mail-ttl is reported undelivered (expired) and never shown", async () => {
  const server = await startServe({ args: ["--mail-ttl", "2s"] });
  const bobHome = await Deno.makeTempDir();
  try {
    const bob = await online("bob", server, bobHome);
    assertEquals(await bob.quit(), 0);
    const alice = await online("alice", server);
    await alice.send("/msg bob too late");
    await alice.waitFor(is("queued"));
    await new Promise((r) => setTimeout(r, 2500));
    const back = await online("bob", server, bobHome);
    await alice.send("/mail");
    const undelivered = await alice.waitFor(is("undelivered", { peer: "bob" }));
    assertEquals(undelivered.reason, "expired");
    assertEquals(undelivered.texts, ["too late"]);
    await new Promise((r) => setTimeout(r, 500));
    assertEquals(back.events.filter(is("message")).length, 0);
    await alice.kill();
    await back.kill();
  } finally {
    await server.stop();
  }
});
