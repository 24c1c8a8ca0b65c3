import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { connectFrom, SocketConnectError } from "./reusable_socket.ts";

function listen(): { listener: Deno.TcpListener; port: number; seen: Promise<Deno.NetAddr> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen = listener.accept().then((conn) => {
    const from = conn.remoteAddr;
    conn.close();
    return from;
  });
  return { listener, port: listener.addr.port, seen };
}

Deno.test("connectFrom() leaves a second connection from the port of one still open", async () => {
  const one = listen();
  const two = listen();
  try {
    const first = await connectFrom({ hostname: "127.0.0.1", port: one.port }, {
      from: { address: "0.0.0.0", port: 0 },
      timeoutMs: 2_000,
    });
    const port = first.localPort!;
    const second = await connectFrom({ hostname: "127.0.0.1", port: two.port }, {
      from: { address: first.localAddress!, port },
      timeoutMs: 2_000,
    });
    assertEquals(second.localPort, port);
    assertEquals((await one.seen).port, port, "the first listener saw the port");
    assertEquals((await two.seen).port, port, "and so did the second: the port dials again");
    first.destroy();
    second.destroy();
  } finally {
    one.listener.close();
    two.listener.close();
  }
});

Deno.test("connectFrom() names a refusal by its code and an abort by its reason", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = closed.addr.port;
  closed.close();
  const refused = await assertRejects(
    () =>
      connectFrom({ hostname: "127.0.0.1", port }, {
        from: { address: "0.0.0.0", port: 0 },
        timeoutMs: 2_000,
      }),
    SocketConnectError,
  );
  assertEquals(refused.code, "ECONNREFUSED");
  const stop = new AbortController();
  const reason = new Error("the chat ended");
  stop.abort(reason);
  const aborted = await connectFrom({ hostname: "127.0.0.1", port }, {
    from: { address: "0.0.0.0", port: 0 },
    timeoutMs: 2_000,
    signal: stop.signal,
  }).catch((error) => error);
  assert(aborted === reason, String(aborted));
});
