/**
 * The client's promises, each against the defect that broke it, through real
 * processes: delivery reports that are true, a peer that cannot crash the
 * client or hold its sockets, pins per directory, the command-line contract.
 */

import { assert, assertEquals } from "./assert.ts";
import {
  type ClientProcess,
  type Event,
  runCli,
  type ServeProcess,
  startClient,
  startServe,
} from "../harness/mod.ts";
import { acceptChannel, connTransport, Identity, initiateChannel } from "../crypto/mod.ts";
import { DirectoryClient } from "../client/directory/mod.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

async function both(
  fn: (server: ServeProcess, alice: ClientProcess, bob: ClientProcess) => Promise<void>,
  bobArgs: string[] = ["--auto-accept"],
  aliceArgs: string[] = [],
): Promise<void> {
  const server = await startServe();
  const alice = await startClient("alice", server.port, { args: aliceArgs });
  const bob = await startClient("bob", server.port, { args: bobArgs });
  try {
    await alice.waitFor(is("ready"));
    await bob.waitFor(is("ready"));
    await fn(server, alice, bob);
  } finally {
    await Promise.all([alice.kill(), bob.kill()]);
    await server.stop();
  }
}

Deno.test("delivery: ending right after the peer shows a message never reports it undelivered (50 times)", async () => {
  await both(async (_server, alice, bob) => {
    for (let round = 1; round <= 50; round++) {
      const [fromA, fromB] = [alice.events.length, bob.events.length];
      await alice.send("/chat bob");
      await alice.waitFor(is("chat-open", { peer: "bob" }), 10_000, fromA);
      await alice.send(`round ${round}`);
      await bob.waitFor(is("message", { text: `round ${round}` }), 10_000, fromB);
      await alice.send("EOM"); // at once: the ack may still be on its way
      await alice.waitFor(is("chat-closed", { peer: "bob" }), 10_000, fromA);
      const since = alice.events.slice(fromA);
      assert(!since.some(is("undelivered")), `round ${round}: ${JSON.stringify(since)}`);
      assert(since.some(is("delivered", { peer: "bob" })), `round ${round} delivered`);
      await bob.waitFor(is("chat-closed", { peer: "alice" }), 10_000, fromB);
    }
  });
});

Deno.test("delivery: closing stdin right after the peer shows a message reports it delivered, exit 0", async () => {
  const server = await startServe();
  const bob = await startClient("bob", server.port, { args: ["--auto-accept"] });
  try {
    await bob.waitFor(is("ready"));
    for (let round = 1; round <= 3; round++) {
      const alice = await startClient(`alice${round}`, server.port);
      await alice.waitFor(is("ready"));
      await alice.send("/chat bob");
      await alice.waitFor(is("chat-open"));
      const from = bob.events.length;
      await alice.send("one");
      await bob.waitFor(is("message", { text: "one" }), 10_000, from);
      assertEquals(await alice.quit(), 0);
      assert(alice.events.some(is("delivered", { id: "m1" })), JSON.stringify(alice.events));
      assert(!alice.events.some(is("undelivered")), JSON.stringify(alice.events));
      const closed = alice.events.find(is("chat-closed"))!;
      assertEquals([closed.reason, closed.by], ["eom", "you"]);
    }
  } finally {
    await bob.kill();
    await server.stop();
  }
});

Deno.test("a peer's message with a bad time is refused with a warning; the client goes on", async () => {
  const server = await startServe();
  const alice = await startClient("alice", server.port);
  // mallory: a hand-written peer that accepts alice's chat and sends a time no Date can hold.
  const mallory = Identity.generate();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const directory = await DirectoryClient.connect({ hostname: "127.0.0.1", port: server.port }, {
    identity: mallory,
    expectedServer: server.fingerprint,
    heartbeatMs: 0,
  });
  try {
    await directory.register("mallory", listener.addr.port);
    await alice.waitFor(is("ready"));
    await alice.send("/chat mallory");
    const channel = await acceptChannel(connTransport(await listener.accept()), mallory);
    const hello = JSON.parse(new TextDecoder().decode((await channel.receive())!));
    assertEquals([hello.type, hello.name], ["hello", "alice"]);
    assert(/^[0-9a-f]{32}$/.test(hello.chat), "the chat's id, to move it later");
    const send = (o: object) => channel.send(new TextEncoder().encode(JSON.stringify(o)));
    await send({ type: "accept" });
    await alice.waitFor(is("chat-open", { peer: "mallory" }));
    await send({ type: "msg", id: "m1", text: "from the future", time: 1e20 });
    const warning = await alice.waitFor(is("security-warning", { peer: "mallory" }));
    assertEquals([warning.reason, warning.detail], [
      "peer-protocol",
      '"time" must be a time a date can hold',
    ]);
    const closed = await alice.waitFor(is("chat-closed", { peer: "mallory" }));
    assertEquals(closed.reason, "security");
    assert(!alice.events.some(is("message")), "nothing shown");
    await alice.send("/fp");
    await alice.waitFor(is("fingerprint", { name: "alice" }));
    channel.abort();
  } finally {
    await directory.bye();
    listener.close();
    await alice.kill();
    await server.stop();
  }
});

Deno.test("a client admits at most 4 peer handshakes from one address at once, counting until each is shown or refused", async () => {
  await both(async (_server, _alice, bob) => {
    const port = Number(String((await bob.waitFor(is("ready"))).listen).split(":").pop());
    // Handshakes with self-made identities that never say hello.
    const channels = await Promise.all(
      Array.from({ length: 30 }, async () => {
        try {
          const conn = await Deno.connect({ hostname: "127.0.0.1", port });
          return await initiateChannel(connTransport(conn), Identity.generate(), {
            handshakeTimeoutMs: 3000,
          });
        } catch {
          return undefined; // closed at once: over the bound
        }
      }),
    );
    const admitted = channels.filter((c) => c !== undefined);
    assert(admitted.length <= 4, `${admitted.length} handshakes held open from one address`);
    assert(admitted.length >= 1);
    admitted.forEach((c) => c!.abort());
  });
});

Deno.test("pins are kept per directory: one name on two directories raises no false key-changed", async () => {
  const home = await Deno.makeTempDir();
  const [first, second] = [await startServe(), await startServe()];
  const clients: ClientProcess[] = [];
  try {
    for (const server of [first, second]) {
      const bob = await startClient("bob", server.port, { args: ["--auto-accept"] });
      const alice = await startClient("alice", server.port, { home });
      clients.push(bob, alice);
      await bob.waitFor(is("ready"));
      await alice.waitFor(is("ready"));
      await alice.send("/chat bob");
      const open = await alice.waitFor(is("chat-open", { peer: "bob" }));
      assertEquals(open.firstContact, true, "a new person on each directory");
      assert(!alice.events.some(is("security-warning")));
      await alice.kill();
    }
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await Promise.all([first.stop(), second.stop()]);
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("/chats shows an outgoing request as requested; /list marks yourself; ready shows usable addresses", async () => {
  await both(async (_server, alice, bob) => {
    const ready = alice.events.find(is("ready"))!;
    assert(!String(ready.listen).startsWith("0.0.0.0"), String(ready.listen));
    assert((ready.addresses as string[]).every((a) => !a.startsWith("0.0.0.0")));
    await alice.send("/chat bob");
    await bob.waitFor(is("chat-request", { peer: "alice" }));
    await alice.send("/chats");
    const chats = await alice.waitFor(is("chats"));
    assertEquals(chats.chats, [
      { peer: "bob", state: "requested", current: false, verified: false },
    ]);
    await alice.send("/list");
    const users = await alice.waitFor(is("users"));
    assertEquals(
      (users.users as { name: string; self: boolean }[]).map((u) => [u.name, u.self]),
      [["alice", true], ["bob", false]],
    );
  }, []);
});

Deno.test("SIGINT or SIGTERM ends a --json session as /quit does, exit 0", async () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    await both(async (_server, alice, bob) => {
      await alice.send("/chat bob");
      await alice.waitFor(is("chat-open"));
      assertEquals(await alice.kill(signal), 0);
      const closed = alice.events.find(is("chat-closed"))!;
      assertEquals([closed.reason, closed.by], ["eom", "you"]);
      await bob.waitFor(is("chat-closed", { peer: "alice", by: "peer" }));
    });
  }
});

/** A TCP server on 127.0.0.1 that does `serve` with every connection. */
function fakeServer(serve: (conn: Deno.Conn) => Promise<void>): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  (async () => {
    for await (const conn of listener) {
      open.add(conn);
      serve(conn).catch(() => {});
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    close() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
    },
  };
}

/** Runs `connect --json` as alice against 127.0.0.1:`port`; its exit code and last event. */
async function connectTo(
  port: number,
  home: string,
): Promise<{ code: number; error: { code: string; message: string } }> {
  const { code, stdout } = await runCli([
    "connect",
    "--json",
    "--name",
    "alice",
    "--home",
    home,
    "--server",
    `127.0.0.1:${port}`,
  ]);
  return { code, error: JSON.parse(stdout.trim().split("\n").at(-1)!) };
}

Deno.test("a server that is not a p2pchat directory is named as such within a second", async () => {
  const ssh = fakeServer(async (conn) => {
    await conn.write(new TextEncoder().encode("SSH-2.0-OpenSSH_9.2\r\n"));
    await new Promise((r) => setTimeout(r, 5000));
  });
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("hi"),
  );
  const home = await Deno.makeTempDir();
  try {
    for (const port of [ssh.port, http.addr.port]) {
      const started = performance.now();
      const { code, error } = await connectTo(port, home);
      const seconds = (performance.now() - started) / 1000;
      assertEquals(code, 1);
      assertEquals(error.code, "not-a-directory");
      assert(
        error.message.startsWith(`127.0.0.1:${port} does not look like a p2pchat directory`),
        error.message,
      );
      assert(seconds < 3, `${seconds.toFixed(1)} s, including Deno's start`);
    }
  } finally {
    ssh.close();
    await http.shutdown();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a silent server times out with its own message", async () => {
  const silent = fakeServer(() => new Promise((r) => setTimeout(r, 15_000)));
  const home = await Deno.makeTempDir();
  try {
    const { code, error } = await connectTo(silent.port, home);
    assertEquals(code, 1);
    assertEquals(error.code, "timeout");
    assert(error.message.includes("accepted the connection but did not finish the handshake"));
  } finally {
    silent.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("connect with nothing listening says how to start a directory, exit 1", async () => {
  const home = await Deno.makeTempDir();
  try {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = probe.addr.port;
    probe.close();
    const { code, error } = await connectTo(port, home);
    assertEquals(code, 1);
    assertEquals(error.code, "server-unreachable");
    assert(error.message.includes("Start one with p2pchat serve"), error.message);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

for (const path of ["direct", "relay"] as const) {
  Deno.test(`delivery: a ${path} chat ended under traffic both ways reports each message once, and undelivered only if the peer never showed it`, async () => {
    const args = path === "relay" ? ["--relay", "always"] : [];
    await both(
      async (_server, alice, bob) => {
        for (let round = 0; round < 6; round++) {
          const [fromA, fromB] = [alice.events.length, bob.events.length];
          await alice.send("/chat bob");
          await alice.waitFor(is("chat-open", { peer: "bob", path }), 10_000, fromA);
          await bob.waitFor(is("chat-open", { peer: "alice", path }), 10_000, fromB);
          for (let i = 0; i < 300; i++) {
            await alice.send(`a${round} ${i}`);
            await bob.send(`b${round} ${i}`);
          }
          // Either side ends it, with both sides' messages and acknowledgements still in flight.
          await (round % 2 ? alice : bob).send("EOM");
          await alice.waitFor(is("chat-closed"), 20_000, fromA);
          await bob.waitFor(is("chat-closed"), 20_000, fromB);
          for (
            const [sender, from, reader, readFrom] of [[alice, fromA, bob, fromB], [
              bob,
              fromB,
              alice,
              fromA,
            ]] as const
          ) {
            const since = sender.events.slice(from);
            const sent = since.filter(is("sent")).map((e) => String(e.id));
            const delivered = since.filter(is("delivered")).map((e) => String(e.id));
            const undelivered = since.filter(is("undelivered")).flatMap((e) => e.ids as string[]);
            const shown = new Set(
              reader.events.slice(readFrom).filter(is("message")).map((e) => String(e.id)),
            );
            assertEquals(
              [...delivered, ...undelivered].sort(),
              [...sent].sort(),
              `${sender.name}: each reported once`,
            );
            assertEquals(
              undelivered.filter((id) => shown.has(id)),
              [],
              `${sender.name}: shown, yet "undelivered"`,
            );
            assertEquals(
              delivered.filter((id) => !shown.has(id)),
              [],
              `${sender.name}: "delivered", never shown`,
            );
          }
        }
      },
      ["--auto-accept", ...args],
      args,
    );
  });
}

Deno.test("a web server's answer is named for what it is: its status line, not a byte", async () => {
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("hi"),
  );
  const home = await Deno.makeTempDir();
  try {
    const { code, error } = await connectTo(http.addr.port, home);
    assertEquals([code, error.code], [1, "not-a-directory"]);
    assert(error.message.includes('it answered "HTTP/1.1 400'), error.message);
    assert(error.message.includes("as a web server does"), error.message);
  } finally {
    await http.shutdown();
    await Deno.remove(home, { recursive: true });
  }
});

/**
 * An HTTP/1.0 server that, as Python's http.server or Apache do, reads until
 * a whole request head has come before it answers anything.
 */
function patientWebServer(): { port: number; close(): void } {
  return fakeServer(async (conn) => {
    const buffer = new Uint8Array(4096);
    let head = "";
    while (!head.includes("\r\n\r\n")) {
      const n = await conn.read(buffer);
      if (n === null) return;
      head += new TextDecoder("latin1").decode(buffer.subarray(0, n));
    }
    await conn.write(new TextEncoder().encode("HTTP/1.0 200 OK\r\n\r\nhi"));
    conn.close();
  });
}

Deno.test("a web server that waits for a whole request is given up on within 2 s, sending it nothing more", async () => {
  const web = patientWebServer();
  const home = await Deno.makeTempDir();
  try {
    const started = performance.now();
    const { code, error } = await connectTo(web.port, home);
    const seconds = (performance.now() - started) / 1000;
    assertEquals([code, error.code], [1, "timeout"]);
    assert(error.message.includes("said nothing within 2 s"), error.message);
    assert(seconds < 4, `${seconds.toFixed(1)} s, including Deno's start (was 10 s)`);
  } finally {
    web.close();
    await Deno.remove(home, { recursive: true });
  }
});
