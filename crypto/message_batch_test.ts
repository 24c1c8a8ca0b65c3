import fc from "fast-check";
import { assert, assertEquals } from "../tests/assert.ts";
import { RecordError } from "./errors.ts";
import { MESSAGE_PREFIX, packMessages, unpackMessages } from "./message_batch.ts";

Deno.test("packMessages() and unpackMessages() round-trip any batch, empty messages included", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 2, maxLength: 20 }),
      (messages) => {
        const size = messages.reduce((n, m) => n + MESSAGE_PREFIX + m.length, 0);
        assertEquals(
          unpackMessages(packMessages(messages, size)).map((m) => [...m]),
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
