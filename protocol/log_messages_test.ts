import fc from "fast-check";
import { assert, assertEquals } from "../tests/assert.ts";
import { ProtocolError } from "./errors.ts";
import {
  decodeRequest,
  decodeServerMessage,
  encodeMessage,
  type Reply,
  type Request,
} from "./messages.ts";

const cp = "A".repeat(192);
const json = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

Deno.test("log messages: every request and reply of §15.4 decodes to itself", () => {
  const requests: Request[] = [
    { id: 1, type: "log-checkpoint" },
    { id: 2, type: "log-consistency", from: 3, to: 9 },
    { id: 3, type: "log-entries", from: 0, count: 500 },
    { id: 4, type: "log-history", name: "bob", from: 7 },
  ];
  for (const request of requests) assertEquals(decodeRequest(encodeMessage(request)), request);
  const replies: Reply[] = [
    { id: 1, type: "log-checkpoint", checkpoint: cp },
    { id: 2, type: "log-consistency", from: 3, to: 9, proof: "AAAA" },
    { id: 3, type: "log-entries", from: 0, entries: ["AAAA"], checkpoint: cp },
    {
      id: 4,
      type: "log-history",
      name: "bob",
      entries: [{ index: 7, entry: "AAAA", proof: "" }],
      more: false,
      checkpoint: cp,
    },
    {
      id: 5,
      type: "user",
      user: {
        name: "bob",
        address: "192.0.2.1",
        port: 1,
        key: "k",
        fingerprint: "f",
        addresses: [],
        proof: "AA==",
      },
      checkpoint: cp,
    },
    { id: 6, type: "error", code: "log-range", message: "Not in the log" },
  ];
  for (const reply of replies) assertEquals(decodeServerMessage(encodeMessage(reply)), reply);
});

Deno.test("log messages: what a liar could send is a ProtocolError naming the field", () => {
  const bad: [unknown, string][] = [
    [{ id: 1, type: "log-consistency", from: -1, to: 2 }, '"from"'],
    [{ id: 1, type: "log-entries", from: 1.5 }, '"from"'],
    [{ id: 1, type: "log-entries", from: 1, count: 0 }, '"count"'],
    [{ id: 1, type: "log-history", name: "x".repeat(65) }, '"name"'],
  ];
  for (const [request, field] of bad) {
    try {
      decodeRequest(json(request));
      assert(false, JSON.stringify(request));
    } catch (error) {
      assert(error instanceof ProtocolError && error.message.includes(field), String(error));
    }
  }
  const badReplies: [unknown, string][] = [
    [{ id: 1, type: "log-checkpoint", checkpoint: cp + "AAAA" }, '"checkpoint"'],
    [{ id: 1, type: "log-checkpoint", checkpoint: "!!" }, '"checkpoint"'],
    [
      { id: 1, type: "log-entries", from: 0, entries: Array(501).fill("AA=="), checkpoint: cp },
      '"entries"',
    ],
    [{ id: 1, type: "log-entries", from: 0, entries: [7], checkpoint: cp }, '"entries"'],
    [{
      id: 1,
      type: "log-history",
      name: "b",
      entries: [{ index: 0, entry: "AA==" }],
      more: false,
      checkpoint: cp,
    }, '"proof"'],
    [{
      id: 1,
      type: "user",
      user: {
        name: "b",
        address: "a",
        port: 1,
        key: "k",
        fingerprint: "f",
        proof: "A".repeat(20_000),
      },
    }, '"proof"'],
    [
      { id: 1, type: "registered", name: "b", address: "a", port: 1, checkpoint: 7 },
      '"checkpoint"',
    ],
  ];
  for (const [reply, field] of badReplies) {
    try {
      decodeServerMessage(json(reply));
      assert(false, JSON.stringify(reply).slice(0, 80));
    } catch (error) {
      assert(error instanceof ProtocolError && error.message.includes(field), String(error));
    }
  }
});

Deno.test("property: arbitrary JSON for the log's messages never raises anything but ProtocolError", () => {
  const type = fc.constantFrom("log-checkpoint", "log-consistency", "log-entries", "log-history");
  fc.assert(
    fc.property(type, fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue()), (t, rest) => {
      const bytes = json({ ...rest, id: 1, type: t });
      for (const decode of [decodeRequest, decodeServerMessage]) {
        try {
          decode(bytes);
        } catch (error) {
          assert(error instanceof ProtocolError, `${decode.name} threw ${error}`);
        }
      }
    }),
    { numRuns: 500 },
  );
});
