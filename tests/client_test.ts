import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { type ClientProcess, type Event, startClient } from "../harness/client_process.ts";
import { startFakeDirectory, startRecordingProxy } from "./fake_directory.ts";
import { type ServeProcess, startServe } from "../harness/serve_process.ts";
import { Identity, toBase64 } from "../crypto/mod.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

async function ready(c: ClientProcess): Promise<ClientProcess> {
  await c.waitFor(is("ready"));
  return c;
}

/** alice asks bob, bob accepts; returns both chat-open events. */
async function openChat(a: ClientProcess, b: ClientProcess): Promise<[Event, Event]> {
  const fromA = a.events.length;
  const fromB = b.events.length;
  await a.send(`/chat ${b.name}`);
  await b.waitFor(is("chat-request", { peer: a.name }), 10_000, fromB);
  await b.send(`/accept ${a.name}`);
  return [
    await a.waitFor(is("chat-open", { peer: b.name }), 10_000, fromA),
    await b.waitFor(is("chat-open", { peer: a.name }), 10_000, fromB),
  ];
}

async function session(
  fn: (server: ServeProcess, clients: ClientProcess[]) => Promise<void>,
  names = ["alice", "bob"],
  serverArgs: string[] = [],
): Promise<void> {
  const server = await startServe({ args: serverArgs });
  const clients: ClientProcess[] = [];
  try {
    for (const name of names) clients.push(await ready(await startClient(name, server.port)));
    await fn(server, clients);
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await server.stop();
  }
}

Deno.test("connect: list, request and accept, chat both ways, /msg, the same SAS, acks, EOM", async () => {
  await session(async (_server, [alice, bob]) => {
    await alice.send("/list");
    const users = await alice.waitFor(is("users"));
    assertEquals((users.users as { name: string }[]).map((u) => u.name), ["alice", "bob"]);
    const [openA, openB] = await openChat(alice, bob);
    assertEquals(openA.sas, openB.sas);
    assertEquals(openA.firstContact, true);
    assertEquals(openA.path, "direct");
    assertEquals(openA.fingerprint, (await bob.waitFor(is("ready"))).fingerprint);
    await alice.send("hello bob");
    const got = await bob.waitFor(is("message", { text: "hello bob" }));
    const sent = await alice.waitFor(is("sent", { text: "hello bob" }));
    assertEquals(got.id, sent.id);
    await alice.waitFor(is("delivered", { peer: "bob", id: sent.id }));
    await bob.send("/msg alice hi alice, via msg");
    await alice.waitFor(is("message", { peer: "bob", text: "hi alice, via msg" }));
    await bob.waitFor(is("delivered", { peer: "alice" }));
    // A message is the user's text as typed: separators and U+FEFF are not command syntax.
    const odd = "line\u2028paragraph\u2029\ufeffend\ufeff";
    await bob.send(`/msg alice ${odd}`);
    await alice.waitFor(is("message", { peer: "bob", text: odd }));
    await alice.send("EOM");
    await alice.waitFor(is("chat-closed", { peer: "bob", reason: "eom" }));
    await bob.waitFor(is("chat-closed", { peer: "alice", reason: "eom" }));
    assertEquals(await alice.quit(), 0);
  });
});

Deno.test("connect: the responder can end with EOM too, and a declined request says so", async () => {
  await session(async (_server, [alice, bob]) => {
    await openChat(alice, bob);
    await bob.send("EOM");
    await alice.waitFor(is("chat-closed", { peer: "bob", reason: "eom" }));
    await bob.waitFor(is("chat-closed", { peer: "alice", reason: "eom" }));
    const from = alice.events.length;
    await alice.send("/chat bob");
    await bob.waitFor(is("chat-request", { peer: "alice" }), 10_000, bob.events.length - 1);
    await bob.send("/decline alice");
    const closed = await alice.waitFor(
      is("chat-closed", { peer: "bob", reason: "declined" }),
      10_000,
      from,
    );
    assert(String(closed.message).includes("declined"));
  });
});

Deno.test("connect: several chats at once, each to the right peer", async () => {
  await session(async (_server, [alice, bob, carol]) => {
    await openChat(alice, bob);
    await openChat(alice, carol);
    await alice.send("/msg bob for bob");
    await alice.send("/msg carol for carol");
    await alice.send("plain line goes to the current chat");
    await bob.waitFor(is("message", { text: "for bob" }));
    await carol.waitFor(is("message", { text: "for carol" }));
    await carol.waitFor(is("message", { text: "plain line goes to the current chat" }));
    await alice.send("/chats");
    const chats = await alice.waitFor(is("chats"));
    assertEquals(
      (chats.chats as { peer: string; current: boolean }[]).map((c) => [c.peer, c.current]),
      [["bob", false], ["carol", true]],
    );
    assert(!bob.events.some(is("message", { text: "for carol" })));
  }, ["alice", "bob", "carol"]);
});

Deno.test("connect: a peer killed with SIGKILL gives connection-lost and the undelivered ids", async () => {
  await session(async (_server, [alice, bob]) => {
    await openChat(alice, bob);
    bob.process.kill("SIGSTOP");
    await alice.send("one");
    await alice.send("two");
    await alice.waitFor(is("sent", { text: "two" }));
    bob.process.kill("SIGKILL");
    const closed = await alice.waitFor(is("chat-closed", { peer: "bob" }));
    assertEquals(closed.reason, "connection-lost");
    const undelivered = await alice.waitFor(is("undelivered", { peer: "bob" }));
    assertEquals(undelivered.ids, ["m1", "m2"]);
  });
});

Deno.test("connect: /verify marks a peer verified in listings and later chats", async () => {
  await session(async (_server, [alice, bob]) => {
    await openChat(alice, bob);
    await alice.send("/fp bob");
    const fp = await alice.waitFor(is("fingerprint", { name: "bob" }));
    assert(/^\d{3} \d{3}$/.test(String(fp.sas)));
    await alice.send("/verify bob");
    await alice.waitFor(is("verified", { peer: "bob" }));
    await alice.send("/list");
    const users = await alice.waitFor(is("users"), 10_000, alice.events.length - 1);
    assertEquals(
      (users.users as { name: string; verified: boolean }[]).find((u) => u.name === "bob")
        ?.verified,
      true,
    );
    await alice.send("EOM");
    await bob.waitFor(is("chat-closed"));
    await alice.waitFor(is("chat-closed"));
    const [open] = await openChat(alice, bob);
    assertEquals(open.verified, true);
    assertEquals(open.firstContact, false);
  });
});

Deno.test("connect: a peer whose key changed is refused until /trust", async () => {
  const server = await startServe({ args: ["--name-ttl", "1s"] });
  const alice = await ready(await startClient("alice", server.port));
  let bob = await ready(await startClient("bob", server.port));
  try {
    await openChat(alice, bob);
    await bob.quit();
    await alice.waitFor(is("chat-closed", { peer: "bob" }));
    await new Promise((r) => setTimeout(r, 1200));
    bob = await ready(await startClient("bob", server.port));
    const from = alice.events.length;
    await alice.send("/chat bob");
    const warning = await alice.waitFor(is("security-warning", { peer: "bob" }), 10_000, from);
    assertEquals(warning.reason, "key-changed");
    assertEquals(warning.got, (await bob.waitFor(is("ready"))).fingerprint);
    assert(!bob.events.some(is("chat-request")), "no connection was even attempted");
    await alice.send("/trust bob");
    await alice.waitFor(is("trusted", { peer: "bob" }));
    const [open] = await openChat(alice, bob);
    assertEquals(open.firstContact, false);
  } finally {
    await Promise.all([alice.kill(), bob.kill()]);
    await server.stop();
  }
});

Deno.test("connect: a lying directory is caught: attacker's address, attacker's key, wrong initiator key", async () => {
  const directory = startFakeDirectory();
  const key = ["--server-key", directory.identity.public.fingerprint];
  const alice = await ready(await startClient("alice", directory.port, { args: key }));
  const bob = await ready(await startClient("bob", directory.port, { args: key }));
  const mallory = await ready(await startClient("mallory", directory.port, { args: key }));
  try {
    const real = async (c: ClientProcess) => (await c.waitFor(is("ready")));
    const [_bobReady, malloryReady] = [await real(bob), await real(mallory)];
    const malloryPort = Number(String(malloryReady.listen).split(":")[1]);

    // 1. bob's key, but mallory's address: the peer there cannot prove bob's key.
    directory.lie = (u) => u.name === "bob" ? { ...u, port: malloryPort } : u;
    let from = alice.events.length;
    await alice.send("/chat bob");
    const w1 = await alice.waitFor(is("security-warning", { peer: "bob" }), 10_000, from);
    assertEquals(w1.reason, "unexpected-key");
    assertEquals(w1.got, malloryReady.fingerprint);
    assert(!mallory.events.some(is("chat-request")));

    // 2. An honest first chat pins bob; then the directory lists mallory's key for bob.
    directory.lie = (u) => u;
    await openChat(alice, bob);
    await alice.send("EOM");
    await bob.waitFor(is("chat-closed"));
    await alice.waitFor(is("chat-closed"));
    const malloryKey = toBase64((Identity.generate()).public.key);
    directory.lie = (u) =>
      u.name === "bob"
        ? {
          ...u,
          key: malloryKey,
          fingerprint: String(malloryReady.fingerprint),
          port: malloryPort,
        }
        : u;
    from = alice.events.length;
    await alice.send("/chat bob");
    const w2 = await alice.waitFor(is("security-warning", { peer: "bob" }), 10_000, from);
    assert(
      ["key-changed", "directory-inconsistent"].includes(String(w2.reason)),
      String(w2.reason),
    );
    directory.lie = (u) =>
      u.name === "bob"
        ? {
          ...u,
          key: toBase64(new Uint8Array(32)),
          fingerprint: String(malloryReady.fingerprint),
          port: malloryPort,
        }
        : u;

    // 3. The directory lists another (consistent) key for the initiator: the responder refuses.
    const someoneElse = Identity.generate().public;
    directory.lie = (u) =>
      u.name === "alice"
        ? { ...u, key: toBase64(someoneElse.key), fingerprint: someoneElse.fingerprint }
        : u;
    from = bob.events.length;
    const fromAlice = alice.events.length;
    await alice.send("/chat bob");
    const w3 = await bob.waitFor(is("security-warning", { peer: "alice" }), 10_000, from);
    assertEquals(w3.reason, "directory-mismatch");
    await alice.waitFor(is("chat-closed", { peer: "bob", reason: "declined" }), 10_000, fromAlice);
  } finally {
    await Promise.all([alice.kill(), bob.kill(), mallory.kill()]);
    directory.close();
  }
});

Deno.test("connect: no message text appears in the bytes between two peers", async () => {
  const directory = startFakeDirectory();
  const key = ["--server-key", directory.identity.public.fingerprint];
  const alice = await ready(await startClient("alice", directory.port, { args: key }));
  const bob = await ready(await startClient("bob", directory.port, { args: key }));
  const bobPort = Number(String((await bob.waitFor(is("ready"))).listen).split(":")[1]);
  const proxy = startRecordingProxy(bobPort);
  directory.lie = (u) => u.name === "bob" ? { ...u, port: proxy.port } : u;
  try {
    await openChat(alice, bob);
    await alice.send("the eagle lands at midnight");
    await bob.send("/msg alice bring the blue folder");
    await bob.waitFor(is("message", { text: "the eagle lands at midnight" }));
    await alice.waitFor(is("message", { text: "bring the blue folder" }));
    const wire = new TextDecoder("latin1").decode(
      new Uint8Array(proxy.recorded.flatMap((c) => [...c])),
    );
    assert(wire.length > 500, "the proxy saw the chat");
    for (const secret of ["eagle", "midnight", "blue folder", "alice", "hello"]) {
      assert(!wire.includes(secret), secret);
    }
  } finally {
    await Promise.all([alice.kill(), bob.kill()]);
    proxy.close();
    directory.close();
  }
});

Deno.test("connect: a server restart mid-chat does not end the chat, and the client registers again", async () => {
  const data = await Deno.makeTempDir();
  let server = await startServe({ data });
  const port = server.port;
  const alice = await ready(await startClient("alice", port));
  const bob = await ready(await startClient("bob", port));
  try {
    await openChat(alice, bob);
    await server.stop();
    await alice.waitFor(is("server-lost"));
    await alice.send("still here?");
    await bob.waitFor(is("message", { text: "still here?" }));
    server = await startServe({ data, args: ["--port", String(port)] });
    await alice.waitFor(is("server-restored"), 20_000);
    await bob.waitFor(is("server-restored"), 20_000);
    await alice.send("/whois bob");
    await alice.waitFor((e) =>
      e.type === "users" && (e.users as { name: string }[])[0]?.name === "bob"
    );
    await bob.send("/msg alice yes");
    await alice.waitFor(is("message", { text: "yes" }));
  } finally {
    await Promise.all([alice.kill(), bob.kill()]);
    await server.stop();
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("connect: a taken name is an error event and exit 1 in --json mode", async () => {
  await session(async (server) => {
    const impostor = await startClient("bob", server.port);
    const error = await impostor.waitFor(is("error"));
    assertEquals(error.code, "name-taken");
    assertEquals(await impostor.quit(), 1);
  });
});

Deno.test("connect: a changed server key is refused with an explanation; --server-key is demanded", async () => {
  const home = await Deno.makeTempDir();
  const first = await startServe();
  const port = first.port;
  const c = await ready(await startClient("alice", port, { home }));
  await c.quit();
  await first.stop();
  const second = await startServe({ args: ["--port", String(port)] });
  try {
    const refused = await startClient("alice", port, { home });
    const error = await refused.waitFor(is("error"));
    assertEquals(error.code, "server-key-mismatch");
    assert(String(error.message).includes("pinned on first contact"));
    assertEquals(await refused.quit(), 1);
    const wrongFlag = await startClient("carol", second.port, {
      args: ["--server-key", "00".repeat(32)],
    });
    assertEquals((await wrongFlag.waitFor(is("error"))).code, "server-key-mismatch");
    assertEquals(await wrongFlag.quit(), 1);
    const rightFlag = await ready(
      await startClient("dave", second.port, { args: ["--server-key", second.fingerprint] }),
    );
    await rightFlag.quit();
  } finally {
    await second.stop();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("connect: bad commands get specific errors and the session goes on", async () => {
  await session(async (_server, [alice]) => {
    for (
      const [line, code] of [
        ["/frobnicate", "bad-command"],
        ["/chat", "bad-command"],
        ["hello?", "bad-command"],
        ["/chat bad!name", "name-invalid"],
        ["/whois nobody", "not-found"],
      ]
    ) {
      const from = alice.events.length;
      await alice.send(line);
      assertEquals((await alice.waitFor(is("error"), 10_000, from)).code, code, line);
    }
    await alice.send("/help");
    await alice.waitFor(is("help"));
    await alice.send("/fp");
    assertEquals((await alice.waitFor(is("fingerprint"))).name, "alice");
  }, ["alice"]);
});

/** `connect` as plain, without --json, fed `input` through a pipe and left to quit at its end. */
async function pipedPlain(port: number, home: string, input: string): Promise<Deno.CommandOutput> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      new URL("../main.ts", import.meta.url).pathname,
      "connect",
      "--name",
      "plain",
      "--server",
      `127.0.0.1:${port}`,
      "--home",
      home,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await new Promise((r) => setTimeout(r, 1500));
  await writer.close();
  return await child.output();
}

Deno.test("connect without --json works line by line when piped", async () => {
  const server = await startServe();
  const home = await Deno.makeTempDir();
  try {
    const out = await pipedPlain(server.port, home, "/list\n");
    const stdout = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0);
    assert(stdout.includes("You are plain"), stdout);
    assert(/plain\s+127\.0\.0\.1:\d+/.test(stdout), stdout);
  } finally {
    await server.stop();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("connect: /chat and /msg to yourself are refused as self, in any case, and your own key is never pinned", async () => {
  await session(async (_server, [alice]) => {
    const own = String((await alice.waitFor(is("ready"))).fingerprint);
    for (const line of ["/chat alice", "/chat ALICE", "/msg Alice a note to self"]) {
      const from = alice.events.length;
      await alice.send(line);
      const error = await alice.waitFor(is("error"), 10_000, from);
      assertEquals([error.code, error.re], ["self", line], JSON.stringify(error));
    }
    await alice.send("/chats");
    assertEquals((await alice.waitFor(is("chats"))).chats, [], "no chat, no request");
    assert(!alice.events.some((e) => e.type === "chat-request" || e.type === "chat-open"));
    const pins = await Deno.readTextFile(join(alice.home, "known_peers")).catch(() => "{}");
    assert(!pins.includes(own), pins);
  }, ["alice"]);
});

Deno.test("connect: --json replies carry the command they answer and come in the order typed; later outcomes are events", async () => {
  await session(async (_server, [alice, bob]) => {
    // Typed at once: /list needs the directory, /frob is refused at once, and so on.
    const lines = ["/list", "/frob", "/whois bob", "hello?", "/fp", "/chats", "/help", "/mail"];
    const types = ["users", "error", "users", "error", "fingerprint", "chats", "help", "mail"];
    for (const line of lines) await alice.send(line);
    await alice.waitFor((e) => e.re === "/mail");
    const replies = alice.events.filter((e) => e.re !== undefined);
    assertEquals(replies.map((e) => [e.re, e.type]), lines.map((line, i) => [line, types[i]]));
    // A chat opening once the peer accepts is the outcome of a request, not a reply to /chat;
    // the one that opens on /accept is the reply to /accept.
    const from = alice.events.length;
    await alice.send("/chat bob");
    await bob.waitFor(is("chat-request", { peer: "alice" }));
    await bob.send("/accept alice");
    const opened = await alice.waitFor(is("chat-open", { peer: "bob" }), 10_000, from);
    assertEquals(opened.re, undefined);
    assertEquals((await bob.waitFor(is("chat-open", { peer: "alice" }))).re, "/accept alice");
    await alice.send("  hi bob  ");
    assertEquals((await alice.waitFor(is("sent"), 10_000, from)).re, "hi bob", "trimmed");
    assertEquals((await bob.waitFor(is("message"))).re, undefined);
  });
});

Deno.test("connect: a directory that proves another key on reconnection is named as such for every request, and not tried again", async () => {
  const first = await startServe();
  const port = first.port;
  const alice = await ready(await startClient("alice", port));
  let impostor: ReturnType<typeof startFakeDirectory> | undefined;
  try {
    await first.stop();
    await alice.waitFor(is("server-lost"));
    impostor = startFakeDirectory({ port });
    const error = await alice.waitFor(is("error"), 15_000);
    assertEquals(error.code, "server-key-mismatch", JSON.stringify(error));
    assert(String(error.message).includes("pinned on first contact"), String(error.message));
    const tried = impostor.sessions;
    // Without the fix the link kept trying every few seconds (backoff: 1, 2, 4 s…).
    await new Promise((r) => setTimeout(r, 4000));
    assertEquals(impostor.sessions, tried, "the wrong key is not tried again");
    const from = alice.events.length;
    await alice.send("/list");
    const listed = await alice.waitFor(is("error"), 10_000, from);
    assertEquals(listed.code, "server-key-mismatch", JSON.stringify(listed));
    assertEquals(
      alice.events.slice(from).filter(is("error")).length,
      1,
      "one error, the wrong key's",
    );
  } finally {
    await alice.kill();
    impostor?.close();
  }
});

Deno.test({
  name: "connect without --json prints every error starting with p2pchat:",
  fn: async () => {
    const server = await startServe();
    const home = await Deno.makeTempDir();
    try {
      const out = await pipedPlain(server.port, home, "/frob\n/chat plain\n");
      const stderr = new TextDecoder().decode(out.stderr);
      const errors = stderr.split("\n").filter((l) => /unknown command|is you/i.test(l));
      assertEquals(errors.length, 2, stderr);
      assert(errors.every((l) => l.startsWith("p2pchat: ")), stderr);
    } finally {
      await server.stop();
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test("connect: a name the directory could not give back after it lost its data is said so, and the client stops using the directory without trying to take it again", async () => {
  const directory = startFakeDirectory();
  const alice = await startClient("alice", directory.port, {
    args: ["--server-key", directory.identity.public.fingerprint],
  });
  try {
    await alice.waitFor(is("ready"));
    const why = "another key registered the name alice while the store was away";
    await directory.notify("alice", { type: "closing", reason: "name-lost", message: why });
    const error = await alice.waitFor(is("error", { code: "name-lost" }));
    assert(String(error.message).includes(why), String(error.message));
    const sessions = directory.sessions;
    await new Promise((r) => setTimeout(r, 2_000));
    assertEquals(directory.sessions, sessions, "not reconnected to take the name back");
    assertEquals(alice.events.filter(is("server-lost")).length, 0);
  } finally {
    await alice.kill();
    directory.close();
  }
});

Deno.test("connect warns, once, when its data directory can be written by others", async () => {
  const server = await startServe();
  const home = await Deno.makeTempDir();
  await Deno.chmod(home, 0o777);
  const alice = await startClient("alice", server.port, { home });
  try {
    await alice.waitFor(is("ready"));
    const warnings = alice.stderr.filter((line) => line.includes(`${home} is writable by others`));
    assertEquals(warnings.length, 1, alice.stderr.join("\n"));
    assert(warnings[0].includes(`chmod 700 ${home}`), warnings[0]);
  } finally {
    await alice.kill();
    await server.stop();
  }
});
