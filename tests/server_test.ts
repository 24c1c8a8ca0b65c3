import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { scrape } from "../harness/process_io.ts";
import { eventually, type ServeProcess, startServe } from "../harness/serve_process.ts";
import { encodeFrame, FrameType } from "../crypto/mod.ts";
import { connTransport, Identity, initiateChannel } from "../crypto/mod.ts";
import { DirectoryBusyError, DirectoryError } from "../protocol/mod.ts";
import { delay } from "../async/mod.ts";
import { busyDelayMs, DirectoryClient } from "../client/directory/mod.ts";
import { MAIN, runCli } from "../harness/run_cli.ts";

type Client = DirectoryClient;

/** A directory client; told Busy (a crowd at once), it comes back when told, as connect does. */
async function client(server: ServeProcess, identity?: Identity, heartbeatMs = 0): Promise<Client> {
  const options = { identity: identity ?? Identity.generate(), expectedServer: server.fingerprint };
  for (let attempt = 0;; attempt++) {
    try {
      return await DirectoryClient.connect({ hostname: "127.0.0.1", port: server.port }, {
        ...options,
        heartbeatMs,
      });
    } catch (error) {
      if (!(error instanceof DirectoryBusyError) || attempt >= 20) throw error;
      await delay(busyDelayMs(error.retryAfterMs));
    }
  }
}

async function registered(
  server: ServeProcess,
  name: string,
  identity?: Identity,
): Promise<Client> {
  const c = await client(server, identity);
  await c.register(name, 6000);
  return c;
}

/** After any abuse, a fresh client must still register and list. */
async function stillServes(server: ServeProcess): Promise<void> {
  const probe = await registered(server, `probe${crypto.randomUUID().slice(0, 8)}`);
  const { users } = await probe.list({ prefix: "probe" });
  assert(users.length >= 1);
  await probe.bye();
}

async function online(server: ServeProcess, name: string): Promise<boolean> {
  const probe = await registered(server, `watch${crypto.randomUUID().slice(0, 8)}`);
  try {
    return await probe.lookup(name).then(() => true, (e) => {
      if (e instanceof DirectoryError && e.code === "not-found") return false;
      throw e;
    });
  } finally {
    await probe.bye();
  }
}

async function withServer(
  setup: Parameters<typeof startServe>[0],
  fn: (s: ServeProcess) => Promise<void>,
): Promise<void> {
  const server = await startServe(setup);
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

Deno.test("serve registers users and lists and looks them up with address, port and fingerprint", async () => {
  await withServer({}, async (server) => {
    const aliceId = Identity.generate();
    const alice = await registered(server, "Alice", aliceId);
    const bob = await registered(server, "bob");
    const { users, more } = await bob.list();
    assertEquals(users.map((u) => u.name), ["Alice", "bob"]);
    assertEquals(more, false);
    const found = await bob.lookup("ALICE");
    assertEquals(found.name, "Alice");
    assertEquals(found.address, "127.0.0.1");
    assertEquals(found.port, 6000);
    assertEquals(found.fingerprint, aliceId.public.fingerprint);
    const error = await assertRejects(() => bob.lookup("carol"), DirectoryError, "not-found");
    assert(error.message.includes("carol"));
    assertEquals((await bob.list({ prefix: "a" })).users.length, 1);
    await alice.bye();
    await bob.bye();
  });
});

Deno.test("serve enforces the name rules with a specific error for each", async () => {
  await withServer({}, async (server) => {
    const c = await client(server);
    for (
      const [name, words] of [
        ["", "empty"],
        ["x".repeat(33), "33 characters long"],
        ["bad name", "U+0020 at position 4"],
        ["ünï", "U+00FC at position 1"],
        ["bob.", 'ends with "."'],
        ["..", 'starts with "."'],
      ]
    ) {
      const error = await assertRejects(() => c.register(name, 1), DirectoryError, "name-invalid");
      assert(error.message.includes(words), error.message);
      assert(error.message.includes("letters A-Z and a-z, digits"), error.message);
    }
    await c.register("fine.name-1_x", 1);
    const other = await client(server);
    for (const lookalike of ["FINE.NAME-l_X", "fine_name-1-x", "flne.name-1.x"]) {
      const error = await assertRejects(
        () => other.register(lookalike, 1),
        DirectoryError,
        "name-confusable",
      );
      assert(error.message.includes("looks like fine.name-1_x"), error.message);
    }
    await other.bye();
    await c.bye();
  });
});

Deno.test("serve keeps names unique without regard to case and bound to their key", async () => {
  await withServer({}, async (server) => {
    const alice = await registered(server, "alice");
    const mallory = await client(server);
    const error = await assertRejects(
      () => mallory.register("ALICE", 1),
      DirectoryError,
      "name-taken",
    );
    assertEquals(
      error.message,
      "The name ALICE belongs to another key (bound as alice: case does not matter). Choose another name.",
      "the refusal names what was asked, as a sentence",
    );
    await alice.bye();
    await assertRejects(() => mallory.register("Alice", 1), DirectoryError, "name-taken");
    await mallory.bye();
  });
});

Deno.test("serve refuses a bound name to another key across a restart, and keeps it for its owner", async () => {
  const data = await Deno.makeTempDir();
  const aliceId = Identity.generate();
  try {
    await withServer({ data }, async (server) => {
      await (await registered(server, "alice", aliceId)).bye();
    });
    assertEquals((await Deno.stat(join(data, "directory.sqlite"))).mode! & 0o777, 0o600);
    await withServer({ data }, async (server) => {
      const mallory = await client(server);
      await assertRejects(() => mallory.register("alice", 1), DirectoryError, "name-taken");
      const alice = await registered(server, "alice", aliceId);
      await alice.bye();
      await mallory.bye();
    });
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("serve hands a name back to its owner at once and closes the stale session", async () => {
  await withServer({}, async (server) => {
    const aliceId = Identity.generate();
    const stale = await registered(server, "alice", aliceId);
    const fresh = await client(server, aliceId);
    await fresh.register("alice", 7000);
    const ended = await stale.closed;
    assertEquals(ended.reason, "replaced");
    assertEquals((await fresh.lookup("alice")).port, 7000);
    await fresh.bye();
  });
});

Deno.test("serve removes a user on goodbye, on a closed socket, and when a client process is SIGKILLed", async () => {
  await withServer({}, async (server) => {
    await (await registered(server, "polite")).bye();
    assertEquals(await online(server, "polite"), false);

    const abrupt = await registered(server, "abrupt");
    abrupt.abort();
    assert(await eventually(async () => !await online(server, "abrupt")));

    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        new URL("./fixtures/register_and_wait.ts", import.meta.url).pathname,
        String(server.port),
        server.fingerprint,
        "doomed",
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    assertEquals((await reader.read()).value?.trim(), "registered");
    assertEquals(await online(server, "doomed"), true);
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    assert(
      await eventually(async () => !await online(server, "doomed")),
      "a killed client leaves no ghost",
    );
  });
});

Deno.test("serve bounds a handshake by one --handshake-timeout, first frame included", async () => {
  await withServer({ args: ["--handshake-timeout", "500ms"] }, async (server) => {
    const started = performance.now();
    const conn = await rawConnect(server);
    // A valid first frame late in the window, then silence: the clock must not restart.
    await new Promise((r) => setTimeout(r, 350));
    await conn.write(encodeFrame(FrameType.Commit, new Uint8Array([0, 1, ...new Uint8Array(32)])));
    assert(await closedByServer(conn));
    const elapsed = performance.now() - started;
    conn.close();
    assert(elapsed < 750, `closed after ${elapsed.toFixed(0)} ms; the bound is 500 ms`);
    assert(
      await eventually(() =>
        server.log.some((l) => l.includes("handshake-failed") && l.includes("handshake-timeout"))
      ),
      server.log.join("\n"),
    );
  });
});

Deno.test("serve logs sessions it ended by why, never as lost", async () => {
  await withServer({}, async (server) => {
    const aliceId = Identity.generate();
    const stale = await registered(server, "alice", aliceId);
    const fresh = await registered(server, "alice", aliceId);
    assertEquals((await stale.closed).reason, "replaced");
    await fresh.bye();
    await eventually(() => server.log.some((l) => l.includes("how=goodbye")));
    assert(
      !server.log.some((l) => l.includes("how=lost")),
      `a replaced or departed session was logged as lost:\n${server.log.join("\n")}`,
    );
  });
});

Deno.test("serve drops a client that goes silent after the idle timeout", async () => {
  await withServer({ args: ["--idle-timeout", "1s"] }, async (server) => {
    const silent = await registered(server, "silent");
    const keeper = await client(server, undefined, 200);
    await keeper.register("keeper", 1);
    assertEquals((await silent.closed).reason, "lost");
    assertEquals(await online(server, "silent"), false);
    assertEquals(await online(server, "keeper"), true, "a heartbeating client stays");
    await keeper.bye();
  });
});

Deno.test("serve refuses clients politely beyond --max-clients", async () => {
  await withServer({ args: ["--max-clients", "2"] }, async (server) => {
    const a = await registered(server, "a");
    const b = await registered(server, "b");
    const c = await client(server);
    assertEquals((await c.closed).reason, "server-full");
    await a.bye();
    await eventually(() => server.log.some((l) => l.includes("leave")));
    const d = await registered(server, "d");
    await b.bye();
    await d.bye();
  });
});

async function rawConnect(server: ServeProcess): Promise<Deno.TcpConn> {
  return await Deno.connect({ hostname: "127.0.0.1", port: server.port });
}

async function closedByServer(conn: Deno.Conn): Promise<boolean> {
  const buf = new Uint8Array(1024);
  try {
    for (let i = 0; i < 100; i++) if (await conn.read(buf) === null) return true;
  } catch {
    return true;
  }
  return false;
}

Deno.test("serve survives the bad-input battery and keeps serving everyone else", async (t) => {
  await withServer({
    args: [
      "--handshake-timeout",
      "1s",
      "--max-per-address",
      "40",
      "--per-source-startups",
      "0",
      "--register-rate",
      "5",
    ],
  }, async (server) => {
    const bystander = await registered(server, "bystander");

    await t.step("non-protocol bytes", async () => {
      const conn = await rawConnect(server);
      await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      assert(await closedByServer(conn));
      conn.close();
      await stillServes(server);
    });
    await t.step("oversize length", async () => {
      const conn = await rawConnect(server);
      await conn.write(new Uint8Array([FrameType.Commit, 0xff, 0xff, 0xff, 0xff]));
      assert(await closedByServer(conn));
      conn.close();
      await stillServes(server);
    });
    await t.step("garbage handshake", async () => {
      const conn = await rawConnect(server);
      await conn.write(
        encodeFrame(
          FrameType.Commit,
          crypto.getRandomValues(new Uint8Array(34)).fill(0, 0, 1).fill(1, 1, 2),
        ),
      );
      await conn.write(encodeFrame(FrameType.Reveal, crypto.getRandomValues(new Uint8Array(65))));
      assert(await closedByServer(conn));
      conn.close();
      await stillServes(server);
    });
    await t.step("half-open socket that never speaks", async () => {
      const conn = await rawConnect(server);
      const started = Date.now();
      assert(await closedByServer(conn));
      assert(Date.now() - started < 5000, "closed by the handshake timeout");
      conn.close();
      await stillServes(server);
    });
    await t.step("malformed request inside the channel", async () => {
      const channel = await initiateChannel(
        connTransport(await rawConnect(server)),
        Identity.generate(),
      );
      await channel.send(new TextEncoder().encode("{not json"));
      const reply = JSON.parse(new TextDecoder().decode((await channel.receive())!));
      assertEquals(reply.code, "bad-request");
      const notice = JSON.parse(new TextDecoder().decode((await channel.receive())!));
      assertEquals(notice.reason, "protocol-error");
      await stillServes(server);
    });
    await t.step("connection flood from one address", async () => {
      const conns = await Promise.all(Array.from({ length: 45 }, () => rawConnect(server)));
      const closed = await Promise.all(conns.slice(-5).map(closedByServer));
      assert(closed.every(Boolean), "connections past the per-address cap are closed");
      conns.forEach((c) => c.close());
      await eventually(() => false, 300);
      await stillServes(server);
    });
    await t.step("registration flood", async () => {
      const clients = await Promise.all(Array.from({ length: 12 }, () => client(server)));
      const results = await Promise.allSettled(clients.map((c, i) => c.register(`flood${i}`, 1)));
      const limited = results.filter((r) =>
        r.status === "rejected" && (r.reason as DirectoryError).code === "rate-limited"
      );
      assert(limited.length >= 1, "some registrations are rate limited");
      await Promise.all(clients.map((c) => c.bye()));
      await eventually(() => false, 1000);
      await stillServes(server);
    });
    assertEquals((await bystander.lookup("bystander")).name, "bystander");
    await bystander.bye();
    const text = server.log.join("\n");
    for (const reason of ["handshake-failed", "per-address-limit", "rate-limited", "bad-request"]) {
      assert(text.includes(reason), `the log gives the reason ${reason}`);
    }
    assert(!text.includes("GET /"), "the log never repeats what a client sent");
  });
});

Deno.test("serve registers 1,000 clients connecting at once", async () => {
  await withServer({
    args: [
      "--max-per-address",
      "0",
      "--per-source-startups",
      "0",
      "--max-startups",
      "1000:30:2000",
      "--register-rate",
      "0",
    ],
  }, async (server) => {
    const clients = await Promise.all(Array.from({ length: 1000 }, async (_, i) => {
      const c = await client(server);
      await c.register(`user${String(i).padStart(4, "0")}`, 1000 + i);
      return c;
    }));
    // A page holds at most 200, fewer when its users' proofs would not fit one record (§15.4).
    const first = await clients[0].list({ prefix: "user", limit: 200 });
    assert(first.users.length > 0 && first.users.length <= 200, `${first.users.length} users`);
    assertEquals(first.more, true);
    let count = 0;
    for (
      let page = { users: [] as { name: string }[], more: true }, after: string | undefined;
      page.more;
    ) {
      page = await clients[0].list({ prefix: "user", limit: 200, after });
      count += page.users.length;
      after = page.users.at(-1)?.name;
    }
    assertEquals(count, 1000);
    await Promise.all(clients.map((c) => c.bye()));
  });
});

Deno.test("serve exposes metrics that match list, and health", async () => {
  await withServer({ args: ["--metrics", "127.0.0.1:0"] }, async (server) => {
    const gauge = (name: string): Promise<number> => scrape(`${server.metricsUrl}/metrics`, name);
    assertEquals(await (await fetch(`${server.metricsUrl}/healthz`)).text(), "ok\n");
    const a = await registered(server, "m1");
    const b = await registered(server, "m2");
    assertEquals(await gauge("p2pchat_users_online"), (await a.list()).users.length);
    assertEquals(await gauge("p2pchat_registrations_total"), 2);
    assertEquals(await gauge("p2pchat_connections_open"), 2);
    await a.bye();
    await b.bye();
    assert(await eventually(async () => await gauge("p2pchat_users_online") === 0));
  });
});

Deno.test("serve tells clients it is shutting down on SIGTERM and exits 0", async () => {
  const server = await startServe();
  const c = await registered(server, "leaving");
  assertEquals(await server.stop("SIGTERM"), 0);
  assertEquals((await c.closed).reason, "shutdown");
});

Deno.test("serve survives running out of file descriptors and recovers", async () => {
  await withServer({
    shellPrefix: "ulimit -n 96;",
    args: [
      "--max-clients",
      "1000",
      "--max-per-address",
      "0",
      "--per-source-startups",
      "0",
      "--handshake-timeout",
      "30s",
    ],
  }, async (server) => {
    const keeper = await registered(server, "keeper");
    const hogs = await Promise.all(Array.from({ length: 120 }, () => rawConnect(server)));
    assert(
      await eventually(() => server.log.some((l) => l.includes("out-of-descriptors")), 5000),
      server.log.join("\n"),
    );
    assertEquals(
      (await keeper.lookup("keeper")).name,
      "keeper",
      "existing users keep being served",
    );
    hogs.forEach((h) => h.close());
    assert(await eventually(() => server.log.some((l) => l.includes("accept-recovered")), 10_000));
    await stillServes(server);
    assertEquals(
      server.log.filter((l) => l.includes("accept-failed")).length,
      1,
      "logged once, not in a loop",
    );
    await keeper.bye();
  });
});

Deno.test("serve never logs a key", async () => {
  const data = await Deno.makeTempDir();
  await withServer({ data, args: ["--log", "json"] }, async (server) => {
    const id = Identity.generate();
    await (await registered(server, "secretive", id)).bye();
    const jwk = JSON.parse(await Deno.readTextFile(join(data, "identity.key")));
    const text = server.log.join("\n");
    assert(!text.includes(jwk.d) && !text.includes(jwk.x));
    for (const line of server.log) JSON.parse(line);
  });
  await Deno.remove(data, { recursive: true });
});

Deno.test("serve drops a client that sends requests but never reads the replies", async () => {
  await withServer({
    args: ["--max-per-address", "0", "--per-source-startups", "0", "--register-rate", "0"],
  }, async (server) => {
    const crowd = await Promise.all(
      Array.from(
        { length: 60 },
        (_, i) => registered(server, `crowd${String(i).padStart(2, "0")}`),
      ),
    );
    const channel = await initiateChannel(
      connTransport(await rawConnect(server)),
      Identity.generate(),
    );
    const request = (body: object) => channel.send(new TextEncoder().encode(JSON.stringify(body)));
    await request({ id: 0, type: "register", name: "hoarder", port: 1 });
    // Each reply lists 60 users (~14 KB); unread, they fill the socket and then the server's
    // queue. Our own sends start failing once the server has dropped us: that is the outcome.
    let sent = 0;
    try {
      for (let id = 1; id <= 3000 && !server.log.some((l) => l.includes("slow-reader")); id++) {
        await request({ id, type: "list", limit: 200 });
        sent++;
        if (id % 100 === 0) await new Promise((r) => setTimeout(r, 10));
      }
    } catch {
      // Broken pipe or reset: the server hung up on the hoarder.
    }
    assert(sent > 0);
    assert(
      await eventually(() => server.log.some((l) => l.includes("reason=slow-reader"))),
      "dropped as a slow reader",
    );
    channel.abort();
    assertEquals(
      (await crowd[0].list({ prefix: "crowd" })).users.length,
      50,
      "everyone else is still served",
    );
    await Promise.all(crowd.map((c) => c.bye()));
  });
});

/** `serve` with `args` in a fresh data directory, run to its exit. */
async function serveFails(args: string[]): Promise<{ code: number; stderr: string }> {
  const data = await Deno.makeTempDir();
  try {
    return await runCli(["serve", "--data", data, ...args]);
  } finally {
    await Deno.remove(data, { recursive: true });
  }
}

Deno.test("serve that cannot listen names the address and the flag to change, exit 1", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const cases: [string[], string][] = [
      [
        ["--host", "127.0.0.1", "--port", String(port)],
        `p2pchat: --port ${port} is in use on 127.0.0.1 (another program listens there): stop it or choose another --port`,
      ],
      [
        ["--host", "127.0.0.1", "--port", "0", "--metrics", `127.0.0.1:${port}`],
        `p2pchat: --metrics 127.0.0.1:${port} is in use (another program listens there): stop it or choose another --metrics`,
      ],
      [
        ["--host", "10.9.9.9", "--port", "0"],
        "p2pchat: --host 10.9.9.9: not an address of this machine; give one of its addresses, or 0.0.0.0 for all of them",
      ],
    ];
    for (const [args, line] of cases) {
      const { code, stderr } = await serveFails(args);
      assertEquals([code, stderr.trim()], [1, line]);
    }
  } finally {
    taken.close();
  }
});

/** Runs `p2pchat ARGS` unable to write where its file modes forbid it (as root: without CAP_DAC_OVERRIDE). */
async function runWithoutOverride(args: string[]): Promise<{ code: number; stderr: string }> {
  const deno = [Deno.execPath(), "run", "-A", "--quiet", MAIN, ...args];
  const caps = "-dac_override,-dac_read_search";
  const [program, ...rest] = Deno.uid() === 0
    ? ["setpriv", `--inh-caps=${caps}`, `--bounding-set=${caps}`, ...deno]
    : deno;
  const out = await new Deno.Command(program, {
    args: rest,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("serve with a data directory it cannot write says which file, why, and how to fix it", async () => {
  const data = await Deno.makeTempDir();
  try {
    await Deno.chmod(data, 0o500);
    const fresh = await runWithoutOverride(["serve", "--data", data, "--port", "0"]);
    assertEquals(fresh.code, 1, fresh.stderr);
    const line = fresh.stderr.trim();
    assert(
      line.startsWith(
        `p2pchat: Cannot write ${data}/identity.key: permission denied: ${data} is not writable by you`,
      ),
      line,
    );
    assert(line.includes("mode 500") && line.includes(`chmod u+w ${data}`), line);
    assert(!line.includes(".tmp"), "the temporary file is not the user's business");
    assert(!line.includes("\n"), "one line");
    // With its identity made already, the database is the file it cannot create.
    await Deno.chmod(data, 0o700);
    await runCli(["id", "--home", data]);
    await Deno.rename(join(data, "identity.key"), join(data, "key"));
    await Deno.writeTextFile(
      join(data, "identity.key"),
      await Deno.readTextFile(join(data, "key")),
      {
        mode: 0o600,
      },
    );
    await Deno.remove(join(data, "key"));
    await Deno.chmod(data, 0o500);
    const later = await runWithoutOverride(["serve", "--data", data, "--port", "0"]);
    assertEquals(later.code, 1, later.stderr);
    assert(
      later.stderr.startsWith(`p2pchat: Cannot write ${data}/directory.sqlite: permission denied`),
      later.stderr,
    );
  } finally {
    await Deno.chmod(data, 0o700);
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("serve warns in one line when its data directory is writable by others", async () => {
  const data = await Deno.makeTempDir();
  try {
    await Deno.chmod(data, 0o777);
    await withServer({ data }, (server) => {
      const warnings = server.log.filter((l) => l.includes("writable by others"));
      assertEquals(warnings.length, 1, server.log.join("\n"));
      assert(warnings[0].includes(`chmod 700 ${data}`), warnings[0]);
      return Promise.resolve();
    });
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});
