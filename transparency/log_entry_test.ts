import fc from "fast-check";

import { assert, assertEquals } from "../tests/assert.ts";

const assertThrows = (f: () => unknown, type: ErrorConstructor): void => assert.throws(f, type);
import {
  decodeEntry,
  decodeValue,
  encodeEntry,
  encodeValue,
  type LogEntry,
  MAX_ENTRY_LENGTH,
  valueAfter,
} from "./log_entry.ts";

const key = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const bind = (name: string, count: number, k = key(1)): LogEntry => ({
  kind: "bind",
  name,
  key: k,
  time: 1_796_000_000_000,
  count,
});

Deno.test("log entry: every field survives encoding, and the layout is the documented one", () => {
  const entry = bind("alice", 3);
  const bytes = encodeEntry(entry);
  assertEquals(bytes.length, 1 + 4 + 8 + 32 + 1 + 5);
  assertEquals([bytes[0], bytes[4], bytes[45]], [0x01, 3, 5]);
  assertEquals(decodeEntry(bytes), entry);
  assertEquals(encodeEntry(bind("a".repeat(32), 1)).length, MAX_ENTRY_LENGTH);
  const lapse = { ...entry, kind: "lapse" as const };
  assertEquals(decodeEntry(encodeEntry(lapse)), lapse);
});

Deno.test("log entry: what a liar could store is refused, never thrown on: a bad kind, length, name, count", () => {
  const good = encodeEntry(bind("bob", 1));
  const bad: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["kind 3", Uint8Array.from(good, (b, i) => i === 0 ? 3 : b)],
    ["count 0", Uint8Array.from(good, (b, i) => i === 4 ? 0 : b)],
    ["one byte short", good.slice(0, -1)],
    ["one byte long", Uint8Array.from([...good, 0x61])],
    ["upper case", Uint8Array.from(good, (b, i) => i === 46 ? 0x42 : b)],
    ["a space", Uint8Array.from(good, (b, i) => i === 46 ? 0x20 : b)],
    ["name length 0", Uint8Array.from(good.slice(0, 46), (b, i) => i === 45 ? 0 : b)],
  ];
  for (const [what, bytes] of bad) assertEquals(decodeEntry(bytes), null, what);
  assertThrows(() => encodeEntry(bind("Bob", 1)), RangeError);
  assertThrows(() => encodeEntry(bind("bob", 0)), RangeError);
  assertThrows(() => encodeEntry({ ...bind("bob", 1), key: new Uint8Array(31) }), RangeError);
});

Deno.test("map value: state, count and key round-trip; anything else is null", () => {
  const value = { state: "lapsed" as const, count: 7, key: key(9) };
  assertEquals(decodeValue(encodeValue(value)), value);
  assertEquals(decodeValue(new Uint8Array(36)), null);
  assertEquals(decodeValue(new Uint8Array(37)), null, "state 0");
});

Deno.test("log rules: binds count up from the last, lapses only what is bound, and nothing else passes", () => {
  const first = valueAfter(null, bind("bob", 1));
  assertEquals(first, { state: "bound", count: 1, key: key(1) });
  assertEquals(valueAfter(null, bind("bob", 2)), { broken: "bind-count" });
  const bound = first as { state: "bound"; count: number; key: Uint8Array };
  assertEquals(valueAfter(bound, bind("bob", 2, key(2))), { broken: "bind-while-bound" });
  const lapse = { ...bind("bob", 1), kind: "lapse" as const };
  const lapsed = valueAfter(bound, lapse);
  assertEquals(lapsed, { state: "lapsed", count: 1, key: key(1) });
  assertEquals(valueAfter(null, lapse), { broken: "lapse-unbound" });
  assertEquals(valueAfter(bound, { ...lapse, key: key(2) }), { broken: "lapse-mismatch" });
  assertEquals(valueAfter(bound, { ...lapse, count: 2 }), { broken: "lapse-mismatch" });
  const again = valueAfter(lapsed as never, bind("bob", 2, key(2)));
  assertEquals(again, { state: "bound", count: 2, key: key(2) });
});

Deno.test("property: any entry a directory can make decodes to itself", () => {
  fc.assert(
    fc.property(
      fc.constantFrom("bind" as const, "lapse" as const),
      fc.stringMatching(/^[a-z0-9_.-]{1,32}$/),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.nat({ max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: 1, max: 0xffff_ffff }),
      (kind, name, k, time, count) => {
        const entry = { kind, name, key: k, time, count };
        assertEquals(decodeEntry(encodeEntry(entry)), entry);
      },
    ),
  );
  assert(true);
});
