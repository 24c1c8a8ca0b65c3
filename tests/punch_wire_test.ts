/**
 * Hole punching on the wire (docs/protocol.md §11.2), attacked from the
 * peer's side: alice is a real `connect` process; bob is written here by
 * hand, so that the test says every word of the punch on the relayed chat.
 * bob registers a port that refuses connections, so the chat opens through
 * the relay, and the fingerprints are drawn so that alice is the leader or
 * the follower as each test needs. (A real punch needs two NATs: the NAT
 * test, tests/nat_test.ts, runs it.)
 */
import { assert, assertEquals } from "./assert.ts";
import { type ClientProcess, type Event, startClient, startServe } from "../harness/mod.ts";
import { acceptChannel, Identity, type SecureChannel } from "../crypto/mod.ts";
import { DirectoryClient, joinRelay } from "../client/directory/mod.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

const say = (channel: SecureChannel, message: object): Promise<void> =>
  channel.send(new TextEncoder().encode(JSON.stringify(message)));

/** The next peer message on `channel` within `ms`, or null once it closed (or nothing came). */
async function hear(channel: SecureChannel, ms = 10_000): Promise<Record<string, unknown> | null> {
  const bytes = await channel.receive(AbortSignal.timeout(ms)).catch(() => null);
  return bytes === null ? null : JSON.parse(new TextDecoder().decode(bytes));
}

/** The next message that is not an ack (alice acknowledges what bob sends). */
async function next(channel: SecureChannel, ms?: number): Promise<Record<string, unknown> | null> {
  for (let m = await hear(channel, ms);; m = await hear(channel, ms)) {
    if (m?.type !== "ack") return m;
  }
}

type Scene = {
  alice: ClientProcess;
  /** bob's end of the relayed chat. */
  relayed: SecureChannel;
  /** alice's hello. */
  hello: Record<string, unknown>;
  /** Where the directory sees alice: `host:port`. */
  observed: string;
  metricsUrl: string;
};

/**
 * alice (a real client with `aliceArgs`) opens a chat to bob through the
 * relay; bob accepts with `accept`. `aliceLeads`: bob's key is drawn so that
 * alice's fingerprint is the lower (she leads the punch) or the higher.
 */
async function relayedChat(
  options: { aliceArgs?: string[]; aliceLeads: boolean; accept?: object },
  fn: (scene: Scene) => Promise<void>,
) {
  const server = await startServe({ args: ["--metrics", "127.0.0.1:0"] });
  const alice = await startClient("alice", server.port, { args: options.aliceArgs ?? [] });
  let directory: DirectoryClient | undefined;
  let relayed: SecureChannel | undefined;
  try {
    const ready = await alice.waitFor(is("ready"));
    const aliceFp = String(ready.fingerprint);
    let bob = Identity.generate();
    while ((aliceFp < bob.public.fingerprint) !== options.aliceLeads) bob = Identity.generate();
    const offer = Promise.withResolvers<{ token: string }>();
    directory = await DirectoryClient.connect({ hostname: "127.0.0.1", port: server.port }, {
      identity: bob,
      expectedServer: server.fingerprint,
      heartbeatMs: 0,
      onRelayOffer: (o) => offer.resolve(o),
    });
    const refusing = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const deadPort = refusing.addr.port;
    refusing.close();
    await directory.register("bob", deadPort);
    await alice.send("/chat bob");
    const { token } = await offer.promise;
    relayed = await acceptChannel(
      await joinRelay({ hostname: "127.0.0.1", port: server.port }, token),
      bob,
    );
    const hello = await hear(relayed);
    assertEquals(hello?.type, "hello");
    await say(relayed, options.accept ?? { type: "accept", punch: true });
    await alice.waitFor(is("chat-open", { peer: "bob", path: "relay" }));
    await fn({
      alice,
      relayed,
      hello: hello!,
      observed: String(ready.observed),
      metricsUrl: `${server.metricsUrl}/metrics`,
    });
  } finally {
    relayed?.abort();
    await directory?.bye().catch(() => {});
    await alice.kill();
    await server.stop();
  }
}

Deno.test("punch wire: alice says she can punch, leads with her observed address, and a peer's 'not now' ends it quietly", async () => {
  await relayedChat({ aliceLeads: true }, async ({ alice, relayed, hello, observed }) => {
    assertEquals(hello.punch, true);
    const [address, port] = observed.split(":");
    assertEquals(await next(relayed), {
      type: "punch-connect",
      attempt: 1,
      address,
      port: Number(port),
    });
    await say(relayed, { type: "punch-connect", attempt: 1 });
    await say(relayed, { type: "msg", id: "m1", text: "after the punch", time: Date.now() });
    await alice.waitFor(is("message", { text: "after the punch" }));
    await alice.send("/msg bob still relayed");
    assertEquals((await next(relayed))?.text, "still relayed", "nothing more of the punch");
    assert(!alice.events.some(is("punch-failed")), "not a failure: bob would not punch");
  });
});

Deno.test("punch wire: three attempts at most, then punch-failed once and a failed report to the directory", async () => {
  await relayedChat({ aliceLeads: true }, async ({ alice, relayed, metricsUrl }) => {
    // bob names an address alice's port cannot reach (hers is on loopback): each attempt fails.
    const heard: unknown[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const connect = await next(relayed);
      assertEquals(connect?.type, "punch-connect");
      assertEquals(connect?.attempt, attempt);
      heard.push(connect);
      await say(relayed, { type: "punch-connect", attempt, address: "198.51.100.1", port: 9 });
      assertEquals(await next(relayed), { type: "punch-sync", attempt });
    }
    const failed = await alice.waitFor(is("punch-failed", { peer: "bob" }), 15_000);
    assertEquals(failed.attempts, 3);
    assert(["timeout", "refused"].includes(String(failed.detail)), String(failed.detail));
    await alice.send("/msg bob no fourth");
    assertEquals((await next(relayed))?.text, "no fourth", "no fourth attempt");
    let counted = NaN;
    for (let i = 0; i < 40 && counted !== 1; i++) {
      const text = await (await fetch(metricsUrl)).text();
      counted = Number(text.match(/^p2pchat_punch_total\{result="failed"\} (\d+)$/m)?.[1]);
      await new Promise((r) => setTimeout(r, 50));
    }
    assertEquals(counted, 1, "the leader reported the failure once");
    assertEquals(alice.events.filter(is("punch-failed")).length, 1, "said once");
  });
});

Deno.test("punch wire: alice follows, and refuses a punch aimed at her own machine as a protocol fault", async () => {
  await relayedChat({ aliceLeads: false }, async ({ alice, relayed }) => {
    await say(relayed, { type: "punch-connect", attempt: 1, address: "127.0.0.1", port: 22 });
    const warning = await alice.waitFor(is("security-warning", { peer: "bob" }));
    assertEquals(warning.reason, "peer-protocol");
    const closed = await alice.waitFor(is("chat-closed", { peer: "bob" }));
    assertEquals(closed.reason, "security");
  });
});

Deno.test("punch wire: with --punch off alice says nothing of punching, and a punch message is a fault", async () => {
  await relayedChat(
    { aliceArgs: ["--punch", "off"], aliceLeads: true, accept: { type: "accept", punch: true } },
    async ({ alice, relayed, hello, observed }) => {
      assertEquals(hello.punch, undefined);
      assert(observed.startsWith("127.0.0.1:"), "ready still says where the directory sees her");
      await say(relayed, { type: "msg", id: "m1", text: "plain", time: Date.now() });
      await alice.waitFor(is("message", { text: "plain" }));
      await say(relayed, { type: "punch-sync", attempt: 1 });
      const closed = await alice.waitFor(is("chat-closed", { peer: "bob" }));
      assertEquals(closed.reason, "security");
    },
  );
});
