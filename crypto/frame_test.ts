import fc from "fast-check";
import { assert, assertEquals } from "../tests/assert.ts";
import { RecordError } from "./errors.ts";
import { encodeFrame, FrameDecoder, FrameReader, FrameType, HEADER_LENGTH } from "./frame.ts";

function sourceOf(chunks: Uint8Array[]): { read(): Promise<Uint8Array | null> } {
  let i = 0;
  return { read: () => Promise.resolve(i < chunks.length ? chunks[i++] : null) };
}

Deno.test("FrameReader decodes the same frames when fed one byte at a time", async () => {
  const frames = [
    encodeFrame(FrameType.Data, new Uint8Array([1, 2, 3])),
    encodeFrame(7, new Uint8Array(0)),
  ];
  const all = new Uint8Array([...frames[0], ...frames[1]]);
  const reader = new FrameReader(sourceOf([...all].map((b) => new Uint8Array([b]))));
  const first = await reader.read(100);
  assertEquals(first?.type, FrameType.Data);
  assertEquals([...first!.body], [1, 2, 3]);
  const second = await reader.read(100);
  assertEquals(second?.type, 7);
  assertEquals(second?.body.length, 0);
  assertEquals(await reader.read(100), null);
});

Deno.test("FrameDecoder refuses an oversize length from the header alone", () => {
  const decoder = new FrameDecoder();
  const header = new Uint8Array(HEADER_LENGTH);
  new DataView(header.buffer).setUint32(1, 0xffff_ffff);
  decoder.push(header);
  let error: unknown;
  try {
    decoder.next(1024);
  } catch (e) {
    error = e;
  }
  assert(error instanceof RecordError && error.code === "oversized");
});

Deno.test("FrameReader reports a stream that ends inside a frame as truncated", async () => {
  const frame = encodeFrame(FrameType.Data, new Uint8Array(10));
  const reader = new FrameReader(sourceOf([frame.subarray(0, 8)]));
  let error: unknown;
  try {
    await reader.read(100);
  } catch (e) {
    error = e;
  }
  assert(error instanceof RecordError && error.code === "truncated");
});

Deno.test("property: any bytes, however chunked, give frames or a typed error, within bounds", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 2048 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 16 }),
      async (bytes, cuts) => {
        const chunks: Uint8Array[] = [];
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const size = cuts[i % cuts.length];
          chunks.push(bytes.subarray(at, at + size));
          at += size;
        }
        const reader = new FrameReader(sourceOf(chunks));
        try {
          let total = 0;
          for (let frame = await reader.read(512); frame; frame = await reader.read(512)) {
            assert(frame.body.length <= 512);
            total += frame.bytes.length;
          }
          assertEquals(total, bytes.length);
        } catch (error) {
          assert(error instanceof RecordError, `untyped: ${error}`);
        }
      },
    ),
    { numRuns: 300 },
  );
});
