import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { join } from "node:path";
import { DeskClient } from "./desk_client.ts";
import { FileChanged, FileHasher, idBytes, pumpChunks } from "./file_reader.ts";
import { decodeFileFrame, MAX_PIECE } from "./file_messages.ts";

/** A desk in this thread that counts what it is asked. */
function countingDesk(): { desk: DeskClient; asked: string[] } {
  const desk = new DeskClient(false);
  const asked: string[] = [];
  const ask = desk.ask.bind(desk);
  desk.ask = ((request: { op: string }) => {
    asked.push(request.op);
    return ask(request as never);
  }) as typeof desk.ask;
  return { desk, asked };
}

Deno.test("FileHasher: an unchanged file is not hashed again (a resume); a changed one is", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "f.bin");
  await Deno.writeFile(path, crypto.getRandomValues(new Uint8Array(3000)));
  const { desk, asked } = countingDesk();
  const hasher = new FileHasher();
  const first = await hasher.hash(path, desk, 1);
  assertEquals(await hasher.hash(path, desk, 2), first);
  assertEquals(asked, ["source-hash"]);
  await Deno.writeFile(path, new Uint8Array(3000));
  const again = await hasher.hash(path, desk, 3);
  assert(again.sha256 !== first.sha256);
  assertEquals(asked, ["source-hash", "source-hash"]);
  await desk.stop();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("pumpChunks: pieces on the grid, in order, with their chunk and offset; a file written to meanwhile stops as changed", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "f.bin");
  const data = new Uint8Array(MAX_PIECE * 2 + 10);
  for (let i = 0; i < data.length; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
  await Deno.writeFile(path, data);
  const desk = new DeskClient(false);
  const hashed = await new FileHasher().hash(path, desk, 1);
  assertEquals(
    (await desk.ask({ op: "source-open", t: 1, path, stamp: hashed.stamp })).op,
    "source-opened",
  );
  const id = "ab".repeat(16);
  const got: Uint8Array[] = [];
  await pumpChunks(hashed, {
    desk,
    t: 1,
    id: idBytes(id),
    chunks: [0],
    send: (frame) => Promise.resolve(void got.push(frame.slice())),
    sent: () => {},
    signal: new AbortController().signal,
  });
  const pieces = got.map((frame) => decodeFileFrame(frame));
  assertEquals(pieces.map((p) => p.type === "file-data" && [p.index, p.offset, p.data.length]), [
    [0, 0, MAX_PIECE],
    [0, MAX_PIECE, MAX_PIECE],
    [0, 2 * MAX_PIECE, 10],
  ]);
  await Deno.writeFile(path, new Uint8Array(data.length));
  await assertRejects(
    () =>
      pumpChunks(hashed, {
        desk,
        t: 1,
        id: idBytes(id),
        chunks: [0],
        send: () => Promise.resolve(),
        sent: () => {},
        signal: new AbortController().signal,
      }),
    FileChanged,
  );
  await desk.ask({ op: "source-close", t: 1 });
  await desk.stop();
  await Deno.remove(dir, { recursive: true });
});
