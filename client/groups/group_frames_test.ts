import { assert, assertEquals } from "../../tests/assert.ts";
import { utf8 } from "../../crypto/mod.ts";
import { PeerProtocolError } from "../core/mod.ts";
import {
  decodeFrameBytes,
  decodeFrameValue,
  encodeFrame,
  type GroupFrame,
  mergeAcks,
} from "./group_frames.ts";
import {
  mailFrames,
  MAX_ASSEMBLIES_PER_SENDER,
  PART_WAIT_MS,
  PartsAssembler,
} from "./mail_parts.ts";

const group = "1a".repeat(16);
const id = "2b".repeat(16);
const msg = (text: string): GroupFrame => ({
  type: "group-msg",
  group,
  version: 1,
  seq: 2,
  since: 1,
  id,
  text,
  time: 1_795_000_000_000,
});

/** `decode` refuses with a PeerProtocolError whose rule matches `rule`. */
function refuses(decode: () => unknown, rule: RegExp): void {
  try {
    decode();
  } catch (error) {
    assert(error instanceof PeerProtocolError, String(error));
    assert(rule.test(error.message), `${error.message} does not match ${rule}`);
    return;
  }
  throw new Error(`decoded, though it should break ${rule}`);
}

Deno.test("decodeFrameBytes() takes every frame encodeFrame() writes", () => {
  const frames: GroupFrame[] = [
    msg("hello"),
    { type: "group-ack", group, ids: [id] },
    { type: "group-join", group, version: 3 },
    { type: "group-decline", group },
    { type: "group-leave", group },
    { type: "group-sync", group, version: 1 },
    { type: "group-membership", group, doc: "AAAA", sig: "AAAA" },
    { type: "group-invite", group, doc: "AAAA", sig: "AAAA" },
  ];
  for (const frame of frames) assertEquals(decodeFrameBytes(encodeFrame(frame)), frame);
});

Deno.test("decodeFrameBytes() refuses garbage, unknown types, bad ids and numbers, text past 4,096 bytes, and since after seq, naming the rule", () => {
  refuses(() => decodeFrameBytes(utf8("not json")), /not UTF-8 JSON/);
  refuses(() => decodeFrameBytes(new Uint8Array([0xff, 0xfe])), /not UTF-8 JSON/);
  refuses(() => decodeFrameValue([]), /not a JSON object/);
  refuses(() => decodeFrameValue({ type: "group-nope", group }), /unknown type/);
  refuses(() => decodeFrameValue({ ...msg("x"), group: "G" }), /group id/);
  refuses(() => decodeFrameValue({ ...msg("x"), seq: 0 }), /"seq"/);
  refuses(() => decodeFrameValue({ ...msg("x"), since: 3 }), /since/);
  refuses(() => decodeFrameValue({ ...msg("x"), id: "m1" }), /"id"/);
  refuses(() => decodeFrameValue({ ...msg("é".repeat(2049)) }), /4096 bytes/);
  refuses(
    () => decodeFrameValue({ type: "group-ack", group, ids: Array(101).fill(id) }),
    /at most 100/,
  );
  refuses(() => decodeFrameBytes(new Uint8Array(13 * 1024)), /exceeds/);
  refuses(
    () =>
      decodeFrameValue({ type: "group-part", group, whole: id + id, index: 4, count: 4, data: "" }),
    /2 to 4 parts/,
  );
});

Deno.test("mailFrames() sends a small frame whole, a large one in parts that PartsAssembler puts back in any order", () => {
  assertEquals(mailFrames(msg("short")), [msg("short")]);
  const big: GroupFrame = { type: "group-invite", group, doc: "A".repeat(8000), sig: "AAAA" };
  const parts = mailFrames(big);
  assertEquals(parts.length, 3);
  const assembler = new PartsAssembler();
  const got = [parts[2], parts[0], parts[1]].map((p) => assembler.take("fp", p as never, 0));
  assertEquals(got.slice(0, 2).map((g) => g.kind), ["waiting", "waiting"]);
  const whole = got[2];
  assert(whole.kind === "whole");
  assertEquals(decodeFrameBytes(whole.bytes), big);
  assertEquals(assembler.size, 0);
});

Deno.test("PartsAssembler refuses parts that do not make the frame they name, and holds few frames, for a while", () => {
  const parts = mailFrames({
    type: "group-invite",
    group,
    doc: "B".repeat(8000),
    sig: "AAAA",
  }) as Extract<
    GroupFrame,
    { type: "group-part" }
  >[];
  const assembler = new PartsAssembler();
  const swapped = { ...parts[1], data: parts[0].data };
  assembler.take("fp", parts[0], 0);
  assembler.take("fp", swapped, 0);
  assertEquals(assembler.take("fp", parts[2], 0), {
    kind: "bad",
    rule: "the parts do not make the frame they name",
  });
  // One sender cannot hold more than its share.
  for (let i = 0; i < 5; i++) {
    assembler.take("flood", { ...parts[0], whole: String(i).repeat(64) }, 0);
  }
  assertEquals(assembler.size, MAX_ASSEMBLIES_PER_SENDER);
  // Parts older than PART_WAIT_MS are dropped.
  assertEquals(assembler.take("other", parts[0], PART_WAIT_MS + 1).kind, "waiting");
  assertEquals(assembler.size, 1);
});

Deno.test("mergeAcks() puts a group's acknowledgements in as few frames as fit, where the first was", () => {
  const ack = (n: number): GroupFrame => ({
    type: "group-ack",
    group,
    ids: [String(n).padStart(32, "0")],
  });
  const merged = mergeAcks([
    ack(1),
    msg("between"),
    ...Array.from({ length: 100 }, (_, i) => ack(i + 2)),
  ]);
  assertEquals(merged.map((f) => f.type), ["group-ack", "group-msg", "group-ack"]);
  assertEquals(merged.map((f) => f.type === "group-ack" ? f.ids.length : 0), [100, 0, 1]);
});
