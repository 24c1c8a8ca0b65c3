import { assertEquals, assertNotEquals } from "../../tests/assert.ts";
import { join } from "node:path";
import { sha256 } from "../../crypto/mod.ts";
import { type DeskReply, PartDesk } from "./part_desk.ts";
import { DeskClient } from "./desk_client.ts";

const digestOf = (reply: DeskReply): Uint8Array => {
  if (reply.op !== "chunk" && reply.op !== "file") throw new Error(JSON.stringify(reply));
  return reply.digest;
};

/** Writes `data` as two pieces (in order or not), then spoils the part on disk behind the desk's back. */
async function scene(inOrder: boolean) {
  const dir = await Deno.makeTempDir();
  const desk = new PartDesk();
  const opened = await desk.handle({ op: "create", t: 1, q: 1, dir, name: "x.bin" });
  assertEquals(opened.op, "opened");
  const data = crypto.getRandomValues(new Uint8Array(1000));
  const pieces = [[0, data.subarray(0, 600)], [600, data.subarray(600)]] as const;
  for (const [position, piece] of inOrder ? pieces : [...pieces].reverse()) {
    await desk.handle({ op: "write", t: 1, q: 2, position, index: 0, start: 0, data: piece });
  }
  await desk.handle({ op: "sync", t: 1, q: 3 });
  const spoilt = data.slice();
  spoilt[5] ^= 1;
  await Deno.writeFile(join(dir, "x.bin.part"), spoilt);
  const chunk = digestOf(
    await desk.handle({ op: "chunk", t: 1, q: 4, index: 0, position: 0, length: 1000 }),
  );
  const file = digestOf(await desk.handle({ op: "file", t: 1, q: 5, size: 1000 }));
  await desk.handle({ op: "close", t: 1, q: 6, discard: true });
  await Deno.remove(dir, { recursive: true });
  return { chunk, file, written: sha256(data), onDisk: sha256(spoilt) };
}

Deno.test("PartDesk: pieces written in order are hashed as they are written, not read back", async () => {
  const s = await scene(true);
  assertEquals(s.chunk, s.written);
  assertEquals(s.file, s.written);
});

Deno.test("PartDesk: pieces out of order (a resume, a move) are hashed from the part, once", async () => {
  const s = await scene(false);
  assertEquals(s.chunk, s.onDisk);
  assertEquals(s.file, s.onDisk);
  assertNotEquals(s.onDisk, s.written);
});

Deno.test("PartDesk: a failed write says so, and what follows for that transfer is dropped", async () => {
  const desk = new PartDesk();
  const reply = await desk.handle({
    op: "write",
    t: 9,
    q: 1,
    position: 0,
    index: 0,
    start: 0,
    data: new Uint8Array(1),
  });
  assertEquals([reply.op, reply.op === "failed" && reply.kind], ["failed", "failed"]);
});

Deno.test("DeskClient: runs the desk in a worker, hands pieces over, and keeps the order of requests", async () => {
  const dir = await Deno.makeTempDir();
  const client = new DeskClient(new URL("./part_worker.ts", import.meta.url));
  const opened = await client.ask({ op: "create", t: 1, dir, name: "w.bin" });
  assertEquals(opened.op, "opened");
  assertEquals(client.inWorker, true);
  const whole = new Uint8Array(26 + 5000);
  crypto.getRandomValues(whole);
  const piece = whole.subarray(26);
  const expected = sha256(piece);
  const { queued, written } = client.write({ t: 1, position: 0, index: 0, start: 0, data: piece });
  await queued;
  assertEquals(piece.length, 0, "handed over without a copy: the buffer went to the worker");
  assertEquals((await written).op, "wrote");
  assertEquals(
    digestOf(await client.ask({ op: "chunk", t: 1, index: 0, position: 0, length: 5000 })),
    expected,
  );
  const placed = await client.ask({ op: "place", t: 1, name: "w.bin" });
  assertEquals(placed.op === "placed" && placed.path, join(dir, "w.bin"));
  await client.stop();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("DeskClient: where no worker starts (a binary built without it), the desk runs in this thread", async () => {
  const dir = await Deno.makeTempDir();
  // A worker that cannot load fails the same way, asynchronously (an error event), and is covered
  // by the same fallback; it is not started here, as the runtime prints its failure to load.
  for (const client of [new DeskClient(false)]) {
    const opened = await client.ask({ op: "create", t: 1, dir, name: "i.bin" });
    assertEquals(opened.op, "opened");
    assertEquals(client.inWorker, false);
    const { written } = client.write({
      t: 1,
      position: 0,
      index: 0,
      start: 0,
      data: new Uint8Array([7]),
    });
    assertEquals((await written).op, "wrote");
    await client.ask({ op: "close", t: 1, discard: true });
    await client.stop();
  }
  await Deno.remove(dir, { recursive: true });
});
