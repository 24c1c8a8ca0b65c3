import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { connTransport, memoryPair, prefixedTransport } from "./transport.ts";

class Stop extends Error {}

Deno.test("a read under an aborted signal rejects with its reason and closes the transport", async () => {
  const [a, b] = memoryPair();
  const controller = new AbortController();
  const reading = a.read(controller.signal);
  controller.abort(new Stop("deadline"));
  await assertRejects(() => reading, Stop);
  assertEquals(await b.read(), null, "the other end sees the close");
  await assertRejects(() => a.read(controller.signal), Stop, undefined);
});

Deno.test("connTransport: aborting a pending socket read ends it and closes the socket", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = connTransport(
    await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
  );
  const server = connTransport(await accepted);
  try {
    const controller = new AbortController();
    const reading = client.read(controller.signal);
    setTimeout(() => controller.abort(new Stop("deadline")), 10);
    await assertRejects(() => reading, Stop);
    assertEquals(await server.read(), null, "the peer sees the socket close");
  } finally {
    client.close();
    server.close();
    listener.close();
  }
});

Deno.test("prefixedTransport() replays bytes read ahead before the rest of the stream", async () => {
  const [a, b] = memoryPair();
  const t = prefixedTransport(a, new Uint8Array([1, 2]));
  await b.write(new Uint8Array([3]));
  assertEquals([...(await t.read())!], [1, 2]);
  assertEquals([...(await t.read())!], [3]);
  b.close();
  assert((await t.read()) === null);
});
