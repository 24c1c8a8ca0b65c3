import fc from "fast-check";
import { assert, assertEquals } from "../tests/assert.ts";
import { RecordError } from "./errors.ts";
import { BatchBuilder, MESSAGE_PREFIX, unpackMessages } from "./message_batch.ts";

Deno.test("BatchBuilder and unpackMessages() round-trip any batch, empty messages included", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 2, maxLength: 20 }),
      (messages) => {
        const builder = new BatchBuilder();
        for (const message of messages) builder.add(message);
        const packed = builder.take()!;
        assertEquals(packed.batch, true);
        assertEquals(packed.messageBytes, messages.reduce((n, m) => n + m.length, 0));
        assertEquals(
          unpackMessages(packed.plaintext).map((m) => [...m]),
          messages.map((m) => [...m]),
        );
      },
    ),
  );
});

Deno.test("unpackMessages() refuses lengths that do not add up, with a typed error", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    try {
      const messages = unpackMessages(bytes);
      assertEquals(messages.reduce((n, m) => n + MESSAGE_PREFIX + m.length, 0), bytes.length);
    } catch (error) {
      assert(error instanceof RecordError && error.code === "malformed");
    }
  }));
});

Deno.test("BatchBuilder packs what unpackMessages() reads, copying each message once", () => {
  const builder = new BatchBuilder();
  const first = new TextEncoder().encode("first");
  builder.add(first);
  first.fill(0); // the caller reuses its buffer: the batch keeps its own copy
  builder.add(new Uint8Array(5000).fill(7));
  const packed = builder.take()!;
  assertEquals(packed.batch, true);
  assertEquals(packed.messageBytes, 5005);
  const [a, b] = unpackMessages(packed.plaintext);
  assertEquals(new TextDecoder().decode(a), "first");
  assertEquals(b.length, 5000);
  assertEquals(builder.take(), undefined);
  builder.add(new Uint8Array([1, 2, 3]));
  assertEquals(builder.take(), {
    batch: false,
    plaintext: new Uint8Array([1, 2, 3]),
    messageBytes: 3,
  });
  assertEquals(builder.fits(new Uint8Array(64 * 1024 - 4)), true);
  assertEquals(builder.fits(new Uint8Array(64 * 1024 - 3)), false);
});
