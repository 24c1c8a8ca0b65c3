/**
 * A peer that floods and never reads (issue: "a flood that exhausts a
 * client's memory"): alice is a real `connect` process with a chat open to
 * carol (another real client) and one to mallory, written here by hand so
 * that she can send as fast as she likes and never read a byte of what
 * alice owes her. Whatever mallory does, alice's memory stays bounded, the
 * chat with mallory ends saying why, and the chat with carol goes on.
 */
import { assert, assertEquals } from "./assert.ts";
import {
  type ClientProcess,
  type Event,
  type ServeProcess,
  startClient,
  startServe,
} from "../harness/mod.ts";
import { acceptChannel, connTransport, Identity, type SecureChannel } from "../crypto/mod.ts";
import { DirectoryClient } from "../client/directory/mod.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

/** The resident memory of process `pid`, in MiB (from ps: /proc needs --allow-all). */
async function rssMiB(pid: number): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)] }).output();
  return Number(new TextDecoder().decode(out.stdout).trim()) / 1024;
}

type Scene = {
  alice: ClientProcess;
  carol: ClientProcess;
  /** mallory's end of her chat with alice; nobody ever reads it. */
  mallory: SecureChannel;
};

/** alice chats with carol and with mallory (by hand, accepting alice's request). */
async function scene(fn: (s: Scene) => Promise<void>): Promise<void> {
  const server: ServeProcess = await startServe();
  const alice = await startClient("alice", server.port);
  const carol = await startClient("carol", server.port, { args: ["--auto-accept"] });
  const identity = Identity.generate();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const directory = await DirectoryClient.connect({ hostname: "127.0.0.1", port: server.port }, {
    identity,
    expectedServer: server.fingerprint,
    heartbeatMs: 0,
  });
  let mallory: SecureChannel | undefined;
  try {
    await directory.register("mallory", listener.addr.port);
    await Promise.all([alice.waitFor(is("ready")), carol.waitFor(is("ready"))]);
    await alice.send("/chat carol");
    await alice.waitFor(is("chat-open", { peer: "carol" }));
    await alice.send("/chat mallory");
    mallory = await acceptChannel(connTransport(await listener.accept()), identity);
    const hello = JSON.parse(new TextDecoder().decode((await mallory.receive())!));
    assertEquals(hello.type, "hello");
    await mallory.send(new TextEncoder().encode(JSON.stringify({ type: "accept" })));
    await alice.waitFor(is("chat-open", { peer: "mallory" }));
    await fn({ alice, carol, mallory });
  } finally {
    mallory?.abort();
    await directory.bye().catch(() => {});
    listener.close();
    await Promise.all([alice.kill(), carol.kill()]);
    await server.stop();
  }
}

/** Sends `message(i)` for i = 0, 1, … until `stop()` or `limit`, never reading; returns the count. */
async function flood(
  channel: SecureChannel,
  message: (i: number) => object,
  options: { stop: () => boolean; limit: number; seconds: number },
): Promise<number> {
  const encoder = new TextEncoder();
  const until = Date.now() + options.seconds * 1000;
  let i = 0;
  try {
    for (; i < options.limit && !options.stop() && Date.now() < until; i++) {
      await channel.send(encoder.encode(JSON.stringify(message(i))));
    }
  } catch {
    // alice closed the connection: the flood is over.
  }
  return i;
}

/** carol's chat with alice still works: a message each way, shown and acknowledged. */
async function carolStillChats(alice: ClientProcess, carol: ClientProcess): Promise<void> {
  await carol.send("/msg alice still here?");
  await alice.waitFor(is("message", { peer: "carol", text: "still here?" }), 15_000);
  await carol.waitFor(is("delivered", { peer: "alice" }), 15_000);
}

Deno.test("flood: a peer repeating one message id as fast as it can, never reading, is cut off at the first repeat; memory stays flat; other chats go on", async () => {
  await scene(async ({ alice, carol, mallory }) => {
    const before = await rssMiB(alice.process.pid);
    const ended = alice.waitFor(is("chat-closed", { peer: "mallory" }), 30_000);
    let over = false;
    ended.then(() => over = true, () => over = true);
    const sent = await flood(
      mallory,
      () => ({ type: "msg", id: "m1", text: "again", time: Date.now() }),
      { stop: () => over, limit: 4_000_000, seconds: 20 },
    );
    const end = await ended;
    assertEquals([end.reason, end.detail], ["security", "peer-protocol"]);
    const warning = await alice.waitFor(is("security-warning", { peer: "mallory" }));
    assertEquals(warning.detail, "message m1 again on the same connection");
    assertEquals(alice.events.filter(is("message", { peer: "mallory" })).length, 1);
    const after = await rssMiB(alice.process.pid);
    console.log(
      `repeats sent: ${sent}; alice's RSS ${before.toFixed(1)} -> ${after.toFixed(1)} MiB`,
    );
    assert(after - before < 64, `alice grew from ${before} to ${after} MiB (${sent} repeats)`);
    await carolStillChats(alice, carol);
  });
});

Deno.test("flood: a peer sending new messages as fast as it can and never reading is dropped as a slow reader; memory stays bounded; other chats go on", async () => {
  await scene(async ({ alice, carol, mallory }) => {
    const before = await rssMiB(alice.process.pid);
    let peak = before;
    const sampling = setInterval(async () => {
      peak = Math.max(peak, await rssMiB(alice.process.pid).catch(() => 0));
    }, 100);
    try {
      const ended = alice.waitFor(is("chat-closed", { peer: "mallory" }), 75_000);
      let over = false;
      ended.then(() => over = true, () => over = true);
      const sent = await flood(
        mallory,
        (i) => ({ type: "msg", id: `m${i + 1}`, text: "x", time: Date.now() }),
        { stop: () => over, limit: 3_000_000, seconds: 60 },
      );
      const end = await ended;
      assertEquals([end.reason, end.by, end.detail], ["connection-lost", "peer", "slow-reader"]);
      console.log(
        `messages sent: ${sent}; alice's RSS ${before.toFixed(1)} -> peak ${peak.toFixed(1)} MiB`,
      );
      assert(peak - before < 128, `alice grew from ${before} to ${peak} MiB (${sent} messages)`);
    } finally {
      clearInterval(sampling);
    }
    await carolStillChats(alice, carol);
  });
});
