import fc from "fast-check";
import { assert, assertEquals } from "../tests/assert.ts";
import { ProtocolError } from "./errors.ts";
import { decodeRequest, decodeServerMessage, encodeMessage } from "./messages.ts";

const decoders = [decodeRequest, decodeServerMessage];

function onlyProtocolErrors(bytes: Uint8Array): void {
  for (const decode of decoders) {
    try {
      decode(bytes);
    } catch (error) {
      assert(error instanceof ProtocolError, `${decode.name} threw ${error}`);
    }
  }
}

Deno.test("property: arbitrary bytes never raise anything but ProtocolError", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), onlyProtocolErrors), {
    numRuns: 2000,
  });
});

Deno.test("property: arbitrary JSON never raises anything but ProtocolError", () => {
  const text = new TextEncoder();
  const type = fc.constantFrom(
    "register",
    "list",
    "lookup",
    "ping",
    "bye",
    "relay",
    "registered",
    "users",
    "user",
    "pong",
    "relay-token",
    "relay-offer",
    "closing",
    "error",
    "nonsense",
  );
  // Objects shaped like messages (a known type, a plausible id) reach deeper into each decoder.
  const shaped = fc.record({ type, id: fc.oneof(fc.nat(), fc.constant(null), fc.string()) }, {
    requiredKeys: [],
  }).chain((base) =>
    fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 })).map((extra) => ({
      ...extra,
      ...base,
    }))
  );
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), shaped), (value) => {
      onlyProtocolErrors(text.encode(JSON.stringify(value)));
    }),
    { numRuns: 3000 },
  );
});

Deno.test("decodeServerMessage() refuses an unknown error code, closing reason or type", () => {
  const bad = [
    { id: 1, type: "error", code: "made-up", message: "x" },
    { type: "closing", reason: "because", message: "x" },
    { id: 1, type: "teapot" },
  ];
  for (const message of bad) {
    let thrown: unknown;
    try {
      decodeServerMessage(new TextEncoder().encode(JSON.stringify(message)));
    } catch (error) {
      thrown = error;
    }
    assert(thrown instanceof ProtocolError, JSON.stringify(message));
  }
  const known = decodeServerMessage(
    encodeMessage({ type: "closing", reason: "replaced", message: "bye" }),
  );
  assertEquals(known, { type: "closing", reason: "replaced", message: "bye" });
});
