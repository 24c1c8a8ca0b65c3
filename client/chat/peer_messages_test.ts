import fc from "fast-check";
import { assert, assertEquals } from "../../tests/assert.ts";
import { decodePeerMessage, encodePeerMessage, PeerProtocolError } from "./peer_messages.ts";

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function refusal(value: unknown): string {
  try {
    decodePeerMessage(bytes(value));
  } catch (error) {
    assert(error instanceof PeerProtocolError, String(error));
    return error.message;
  }
  return "";
}

Deno.test("decodePeerMessage() reads what encodePeerMessage() writes", () => {
  const message = { type: "msg" as const, id: "m7", text: "hi", time: 1_795_626_541_995 };
  assertEquals(decodePeerMessage(encodePeerMessage(message)), message);
});

Deno.test("decodePeerMessage() refuses a bad time, id or type, naming it", () => {
  assertEquals(
    refusal({ type: "msg", id: "m1", text: "x", time: 1e20 }),
    '"time" must be a time a date can hold',
  );
  assertEquals(
    refusal({ type: "msg", id: "m1", text: "x", time: 1.5 }),
    '"time" must be a time a date can hold',
  );
  assertEquals(
    refusal({ type: "msg", id: "m1", text: "x", time: "now" }),
    '"time" must be a time a date can hold',
  );
  assertEquals(refusal({ type: "msg", id: 7, text: "x", time: 1 }), '"id" must be a message id');
  assertEquals(
    refusal({ type: "msg", id: "m1", text: 5, time: 1 }),
    '"text" must be text of at most 16000 characters',
  );
  assertEquals(
    refusal({ type: "decline", reason: "whatever" }),
    '"reason" must be a known reason',
  );
  assertEquals(refusal({ type: "teleport" }), "a message of an unknown type");
  assertEquals(refusal([1, 2]), "the message is not a JSON object");
});

Deno.test("property: arbitrary bytes and JSON never raise anything but PeerProtocolError", () => {
  const check = (input: Uint8Array) => {
    try {
      decodePeerMessage(input);
    } catch (error) {
      assert(error instanceof PeerProtocolError, String(error));
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), check), { numRuns: 1000 });
  fc.assert(
    fc.property(
      fc.record({
        type: fc.constantFrom("hello", "accept", "decline", "msg", "ack", "eom", "x"),
        id: fc.jsonValue(),
        text: fc.jsonValue(),
        time: fc.jsonValue(),
        reason: fc.jsonValue(),
        name: fc.jsonValue(),
      }, { requiredKeys: ["type"] }),
      (value) => check(bytes(value)),
    ),
    { numRuns: 2000 },
  );
});

// Hole punching (docs/protocol.md §11.2).
Deno.test("punch messages decode strictly: attempts 1 to 3, dialable addresses, true flags", () => {
  assertEquals(
    decodePeerMessage(
      bytes({ type: "punch-connect", attempt: 2, address: "203.0.113.7", port: 9 }),
    ),
    { type: "punch-connect", attempt: 2, address: "203.0.113.7", port: 9 },
  );
  assertEquals(decodePeerMessage(bytes({ type: "punch-connect", attempt: 1 })), {
    type: "punch-connect",
    attempt: 1,
  });
  assertEquals(decodePeerMessage(bytes({ type: "punch-sync", attempt: 3 })), {
    type: "punch-sync",
    attempt: 3,
  });
  assertEquals(decodePeerMessage(bytes({ type: "accept", punch: true })), {
    type: "accept",
    punch: true,
  });
  assertEquals(decodePeerMessage(bytes({ type: "hello", name: "a", punch: true })), {
    type: "hello",
    name: "a",
    punch: true,
  });
  for (
    const bad of [
      { type: "punch-connect", attempt: 4, address: "203.0.113.7", port: 9 },
      { type: "punch-connect", attempt: 0 },
      { type: "punch-connect", attempt: 1, address: "203.0.113.7" },
      { type: "punch-connect", attempt: 1, address: "example.org", port: 9 },
      { type: "punch-connect", attempt: 1, address: "127.0.0.1", port: 9 },
      { type: "punch-connect", attempt: 1, address: "::1", port: 9 },
      { type: "punch-connect", attempt: 1, address: "0.0.0.0", port: 9 },
      { type: "punch-connect", attempt: 1, address: "224.0.0.1", port: 9 },
      { type: "punch-connect", attempt: 1, address: "203.0.113.7", port: 0 },
      { type: "punch-sync", attempt: "1" },
      { type: "accept", punch: 1 },
      { type: "hello", name: "a", punch: false },
    ]
  ) {
    assert(refusal(bad) !== "", JSON.stringify(bad));
  }
});
