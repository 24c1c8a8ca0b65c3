import { assert, assertEquals } from "./assert.ts";
import {
  acceptChannel,
  connTransport,
  Identity,
  initiateChannel,
  UnexpectedPeerKey,
} from "../crypto/mod.ts";

const server = Identity.generate();
const client = Identity.generate();

Deno.test("secure channel round trip over real TCP sockets on loopback, both ways", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    const channel = await acceptChannel(connTransport(await listener.accept()), server);
    for await (const message of channel.messages()) {
      await channel.send(message.slice().reverse());
    }
    return channel.peer.fingerprint;
  })();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const channel = await initiateChannel(connTransport(conn), client, {
    expectedPeer: server.public.fingerprint,
  });
  for (const size of [0, 1, 100, 4096, 65536]) {
    const message = crypto.getRandomValues(new Uint8Array(size));
    await channel.send(message);
    assertEquals(await channel.receive(), message.slice().reverse());
  }
  await channel.close();
  assertEquals(await accepting, client.public.fingerprint);
  listener.close();
});

Deno.test("over TCP, a server with another key than the pinned one is refused", async () => {
  const impostor = Identity.generate();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = listener.accept().then((conn) => acceptChannel(connTransport(conn), impostor))
    .catch((e) => e);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  let error: unknown;
  try {
    await initiateChannel(connTransport(conn), client, { expectedPeer: server.public.fingerprint });
  } catch (e) {
    error = e;
  }
  assert(error instanceof UnexpectedPeerKey);
  assert((await accepting) instanceof Error, "the impostor's side fails too");
  listener.close();
});
