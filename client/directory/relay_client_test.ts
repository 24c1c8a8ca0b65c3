import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { busyReply } from "../../crypto/mod.ts";
import { DirectoryUnavailableError, READY_FRAME } from "../../protocol/mod.ts";
import { joinRelay } from "./relay_client.ts";

/** A relay on loopback that answers each connection's Join with `answers[i]`. */
function relay(answers: Uint8Array[]): { port: number; joins: () => number; close: () => void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let joins = 0;
  (async () => {
    for await (const conn of listener) {
      const answer = answers[Math.min(joins++, answers.length - 1)];
      await conn.read(new Uint8Array(64)); // the Join
      await conn.write(answer);
      if (answer !== READY_FRAME) {
        await conn.read(new Uint8Array(64)).catch(() => null); // until the client hangs up
        conn.close();
      }
    }
  })().catch(() => {});
  return { port: listener.addr.port, joins: () => joins, close: () => listener.close() };
}

const TOKEN = "ab".repeat(16);

Deno.test("joinRelay() told Busy by a directory turning a crowd away comes back when told and joins", async () => {
  const r = relay([busyReply(300), READY_FRAME]);
  try {
    const started = performance.now();
    const transport = await joinRelay({ hostname: "127.0.0.1", port: r.port }, TOKEN);
    assert(performance.now() - started >= 300, "it waited what Busy asked");
    assertEquals(r.joins(), 2);
    transport.close();
  } finally {
    r.close();
  }
});

Deno.test("joinRelay() told Busy for ever joins at most once every 250 ms (a forged 0 does not spin) until it is stopped", async () => {
  const r = relay([busyReply(0)]);
  const abort = new AbortController();
  const timer = setTimeout(
    () => abort.abort(new DirectoryUnavailableError("timeout", "test over")),
    2_000,
  );
  try {
    await assertRejects(
      () => joinRelay({ hostname: "127.0.0.1", port: r.port }, TOKEN, abort.signal),
      DirectoryUnavailableError,
    );
    assert(r.joins() <= 9, `at most one join every 250 ms: ${r.joins()} in 2 s`);
  } finally {
    clearTimeout(timer);
    r.close();
  }
});
