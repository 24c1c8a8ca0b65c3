import fc from "fast-check";
import { assert, assertEquals } from "../../tests/assert.ts";
import { Bitmap, chunkCount, chunkSizeFor, DEFAULT_CHUNK, relayBytes } from "./chunk_plan.ts";
import { MAX_CHUNK, MAX_CHUNKS, MAX_FILE_BYTES } from "./file_messages.ts";

Deno.test("chunkSizeFor() keeps 1 MiB chunks up to 64 GiB, then doubles within MAX_CHUNKS", () => {
  assertEquals(chunkSizeFor(0), DEFAULT_CHUNK);
  assertEquals(chunkSizeFor(64 * 1024 ** 3), DEFAULT_CHUNK);
  assertEquals(chunkSizeFor(64 * 1024 ** 3 + 1), 2 * DEFAULT_CHUNK);
  assertEquals(chunkSizeFor(MAX_FILE_BYTES), MAX_CHUNK);
  assert(chunkCount(MAX_FILE_BYTES, chunkSizeFor(MAX_FILE_BYTES)) <= MAX_CHUNKS);
});

Deno.test("Bitmap: reads back what it writes; refuses a wrong length or stray bits", () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 300 }), fc.array(fc.nat(299)), (size, sets) => {
    const map = new Bitmap(size);
    for (const i of sets) if (i < size) map.set(i);
    const back = Bitmap.fromBase64(map.toBase64(), size)!;
    assertEquals(back.count, map.count);
    for (let i = 0; i < size; i++) assertEquals(back.has(i), map.has(i));
    assertEquals(back.missing().length, size - map.count);
  }));
  assertEquals(Bitmap.fromBase64("AA==", 16), null, "one byte for 16 chunks");
  assertEquals(Bitmap.fromBase64("AQ==", 7), null, "the bit past the 7th set");
  assertEquals(Bitmap.fromBase64("%%", 8), null);
});

Deno.test("relayBytes() counts a file's data, its pieces' headers and records, and its list", () => {
  const size = 50 * 1024 * 1024;
  assert(relayBytes(size, DEFAULT_CHUNK) > size);
  assert(relayBytes(size, DEFAULT_CHUNK) < size * 1.01);
});
