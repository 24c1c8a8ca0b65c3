/**
 * Offline mail end to end (docs/protocol.md §11): real `serve` and
 * `connect` processes over real sockets.
 */
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { type ClientProcess, type Event, startClient } from "../harness/client_process.ts";
import { scrape } from "../harness/process_io.ts";
import { type ServeProcess, startServe } from "../harness/serve_process.ts";
import { Identity, Prekey, sealMail, toBase64, utf8 } from "../crypto/mod.ts";
import { DirectoryError, toWirePrekey } from "../protocol/mod.ts";
import { DirectoryClient } from "../client/directory/mod.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

async function online(name: string, server: ServeProcess, home?: string): Promise<ClientProcess> {
  const client = await startClient(name, server.port, home ? { home } : {});
  await client.waitFor(is("ready"));
  return client;
}

/** `name` registers once (binding the name and its prekey) and leaves; returns its data directory. */
async function away(name: string, server: ServeProcess, home?: string): Promise<string> {
  const client = await online(name, server, home);
  assertEquals(await client.quit(), 0);
  return client.home;
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
    await away("bob", server, bobHome);
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
    await away("bob", server);
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
    await away("bob", server);
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
    await away("bob", server); // with a key of its own
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
    await away("bob", server, bobHome);
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

/** A protocol-level client of `server` with `identity`, registered as `name` with a fresh prekey. */
async function raw(
  server: ServeProcess,
  name: string,
  identity: Identity,
  onMail?: (mail: { id: number; sealed: string; stored: number }) => void,
): Promise<{ client: DirectoryClient; prekey: Prekey }> {
  const client = await DirectoryClient.connect({ hostname: "127.0.0.1", port: server.port }, {
    identity,
    expectedServer: server.fingerprint,
    heartbeatMs: 0,
    onMail,
  });
  const prekey = Prekey.generate(Date.now());
  await client.register(name, 1, [], toWirePrekey(prekey.signedBy(identity)));
  return { client, prekey };
}

Deno.test("mail: the directory sends 32 held messages at a time, oldest first, deletes them on ack, and refuses what is not the depositor's or the registrant's", async () => {
  const server = await startServe({ args: ["--register-rate", "0"] });
  const alice = Identity.generate();
  const bob = Identity.generate();
  try {
    const first = await raw(server, "bob", bob);
    await first.client.bye();
    const sender = await raw(server, "alice", alice);
    for (let i = 0; i < 40; i++) {
      const sealed = await sealMail(alice, bob.public, first.prekey.public, utf8(`m${i}`));
      await sender.client.mail("bob", toBase64(sealed));
    }
    // An envelope sealed by someone else (carol's, replayed by alice) is refused.
    const carol = Identity.generate();
    const foreign = await sealMail(carol, bob.public, first.prekey.public, utf8("not alice's"));
    await assertRejects(
      () => sender.client.mail("bob", toBase64(foreign)),
      DirectoryError,
      "bad-request",
    );
    // A prekey not signed by the key that registers is refused.
    const mallory = await DirectoryClient.connect(
      { hostname: "127.0.0.1", port: server.port },
      { identity: Identity.generate(), expectedServer: server.fingerprint, heartbeatMs: 0 },
    );
    await assertRejects(
      () => mallory.register("mallory", 1, [], toWirePrekey(first.prekey.signedBy(bob))),
      DirectoryError,
      "bad-request",
    );
    await mallory.bye();

    const got: { id: number }[] = [];
    const back = await raw(server, "bob", bob, (mail) => got.push(mail));
    await new Promise((r) => setTimeout(r, 500));
    assertEquals(got.length, 32, "at most 32 unacknowledged");
    const ids = got.map((m) => m.id);
    assertEquals(ids, [...ids].sort((a, b) => a - b), "oldest first");
    await back.client.mailAck(ids);
    await new Promise((r) => setTimeout(r, 500));
    assertEquals(got.length, 40, "the ack makes room for the rest");
    await back.client.mailAck(got.slice(32).map((m) => m.id));
    await back.client.bye();
    const again: unknown[] = [];
    const third = await raw(server, "bob", bob, (mail) => again.push(mail));
    await new Promise((r) => setTimeout(r, 500));
    assertEquals(again, [], "acknowledged mail is deleted");
    await third.client.bye();
    await sender.client.bye();
  } finally {
    await server.stop();
  }
});

Deno.test("mail: three messages read together are receipted with one receipt, and all three show delivered", async () => {
  const server = await startServe({ args: ["--metrics", "127.0.0.1:0"] });
  try {
    const bobHome = await away("bob", server);
    const alice = await online("alice", server);
    for (const text of ["one", "two", "three"]) await alice.send(`/msg bob ${text}`);
    for (const text of ["one", "two", "three"]) await alice.waitFor(is("queued", { text }));
    const bob = await online("bob", server, bobHome);
    for (const text of ["one", "two", "three"]) {
      await alice.waitFor(is("delivered", { text, offline: true }), 15_000);
    }
    assertEquals(
      bob.events.filter(is("message", { offline: true })).map((e) => e.text),
      ["one", "two", "three"],
      "in the order sent",
    );
    const deposited = await scrape(`${server.metricsUrl}/metrics`, "p2pchat_mail_deposited_total");
    assertEquals(deposited, 4, "three messages and one receipt");
    await alice.kill();
    await bob.kill();
  } finally {
    await server.stop();
  }
});

Deno.test("mail: lines typed after the peer left go to them as mail, also once they are back, until a chat opens again", async () => {
  const server = await startServe();
  const bobHome = await Deno.makeTempDir();
  const clients: ClientProcess[] = [];
  try {
    const alice = await online("alice", server);
    const bob = await online("bob", server, bobHome);
    clients.push(alice, bob);
    await alice.send("/chat bob");
    await bob.waitFor(is("chat-request", { peer: "alice" }));
    await bob.send("/accept alice");
    await alice.waitFor(is("chat-open", { peer: "bob" }));
    assertEquals(await bob.quit(), 0);
    await alice.waitFor(is("chat-closed", { peer: "bob", by: "peer" }));
    // bob comes back; alice's next line still has somewhere to go.
    const back = await online("bob", server, bobHome);
    clients.push(back);
    await alice.send("are you back?");
    const queued = await alice.waitFor(is("queued", { peer: "bob" }));
    assertEquals([queued.text, queued.re], ["are you back?", "are you back?"]);
    const got = await back.waitFor(is("message", { peer: "alice", offline: true }));
    assertEquals(got.text, "are you back?");
    await alice.waitFor(is("delivered", { peer: "bob", offline: true, id: queued.id }), 15_000);
    // /msg still points someone online to /chat.
    await alice.send("/msg bob and this?");
    assertEquals(
      (await alice.waitFor(is("error", { re: "/msg bob and this?" }))).code,
      "bad-command",
    );
    // Once a chat opens, plain lines go to it.
    await back.send("/chat alice");
    await alice.waitFor(is("chat-request", { peer: "bob" }));
    await alice.send("/accept bob");
    await alice.waitFor(is("chat-open", { peer: "bob" }));
    await alice.send("live now");
    await back.waitFor((e) => e.type === "message" && e.text === "live now" && !e.offline);
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await server.stop();
  }
});
