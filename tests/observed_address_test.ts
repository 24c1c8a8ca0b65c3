/**
 * The directory's part of hole punching (docs/protocol.md §9.1, §11.2),
 * against a real `serve`: where it sees a client's connection come from,
 * whom it lists that for, and the punch reports it counts.
 */
import { assert, assertEquals } from "./assert.ts";
import { Identity } from "../crypto/mod.ts";
import { DirectoryClient } from "../client/directory/mod.ts";
import { startServe } from "../harness/mod.ts";

Deno.test("observed address: registered says the source port; entries list it only behind a NAT; punch reports are counted", async () => {
  const server = await startServe({ args: ["--metrics", "127.0.0.1:0"] });
  const clients: DirectoryClient[] = [];
  try {
    const connect = async () => {
      const client = await DirectoryClient.connect({ hostname: "127.0.0.1", port: server.port }, {
        identity: Identity.generate(),
        heartbeatMs: 0,
        reusablePort: true,
      });
      clients.push(client);
      return client;
    };
    const natted = await connect();
    const local = natted.local!;
    assertEquals(local.reusable, true);
    // Announcing only a LAN address: the address seen is none of them, so behind a NAT.
    const reply = await natted.register("alice", 40123, ["192.168.1.20"]);
    assertEquals([reply.address, reply.observedPort], ["127.0.0.1", local.port]);
    const open = await connect();
    await open.register("bob", 40124, ["127.0.0.1"]);
    const alice = await open.lookup("alice");
    assertEquals(alice.observedPort, local.port, "listed for a user behind a NAT");
    assertEquals(alice.port, 40123, "beside the listening port");
    const bob = await natted.lookup("bob");
    assertEquals(bob.observedPort, undefined, "not for one whose own address is the one seen");
    const listed = await open.list({ prefix: "" });
    assertEquals(listed.users.find((u) => u.name === "alice")?.observedPort, local.port);

    await natted.punchReport("success");
    await natted.punchReport("success");
    await open.punchReport("failed");
    const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
    assert(text.includes('p2pchat_punch_total{result="success"} 2'), text);
    assert(text.includes('p2pchat_punch_total{result="failed"} 1'), text);
  } finally {
    for (const client of clients) client.abort();
    await server.stop();
  }
});

Deno.test("observed address: a punch report before registering is refused, and the session goes on", async () => {
  const server = await startServe();
  const client = await DirectoryClient.connect({ hostname: "127.0.0.1", port: server.port }, {
    identity: Identity.generate(),
    heartbeatMs: 0,
  });
  try {
    const refused = await client.punchReport("success").then(() => undefined, (e) => e);
    assertEquals(refused?.code, "not-registered");
    await client.ping();
    // A plain Deno.connect socket: its port cannot dial again.
    assertEquals(client.local?.reusable, false);
  } finally {
    client.abort();
    await server.stop();
  }
});
