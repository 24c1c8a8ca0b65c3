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
    // Hole punching (§11.2).
    "punch-report",
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

// Hole punching (docs/protocol.md §11.2).
Deno.test("the observed port and punch-report decode strictly and stay optional", () => {
  const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  assertEquals(
    decodeServerMessage(bytes({
      id: 1,
      type: "registered",
      name: "alice",
      address: "203.0.113.7",
      port: 40123,
      observedPort: 51234,
    })),
    {
      id: 1,
      type: "registered",
      name: "alice",
      address: "203.0.113.7",
      port: 40123,
      observedPort: 51234,
    },
  );
  // An older directory sends none: the field stays absent.
  assertEquals(
    decodeServerMessage(bytes({ id: 1, type: "registered", name: "a", address: "::1", port: 1 })),
    { id: 1, type: "registered", name: "a", address: "::1", port: 1 },
  );
  const user = { name: "bob", address: "198.51.100.2", port: 1, key: "k", fingerprint: "f" };
  const listed = decodeServerMessage(
    bytes({ id: 2, type: "user", user: { ...user, observedPort: 7 } }),
  );
  assertEquals(listed.type === "user" && listed.user.observedPort, 7);
  assertEquals(
    decodeRequest(bytes({ id: 3, type: "punch-report", result: "failed" })),
    { id: 3, type: "punch-report", result: "failed" },
  );
  for (
    const bad of [
      { id: 1, type: "registered", name: "a", address: "::1", port: 1, observedPort: 70000 },
      { id: 2, type: "user", user: { ...user, observedPort: "1" } },
    ]
  ) {
    let thrown: unknown;
    try {
      decodeServerMessage(bytes(bad));
    } catch (error) {
      thrown = error;
    }
    assert(thrown instanceof ProtocolError, JSON.stringify(bad));
  }
  for (const result of ["won", undefined, 1]) {
    let thrown: unknown;
    try {
      decodeRequest(bytes({ id: 4, type: "punch-report", result }));
    } catch (error) {
      thrown = error;
    }
    assert(thrown instanceof ProtocolError, String(result));
  }
});
