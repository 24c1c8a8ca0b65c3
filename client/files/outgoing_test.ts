import { assertEquals } from "../../tests/assert.ts";
import { Bitmap } from "./chunk_plan.ts";
import { OutgoingTransfer } from "./outgoing.ts";

const ID = "ef".repeat(16);
const CHUNK = 64 * 1024;
const prepared = { sha256: "ab".repeat(32), list: "cd".repeat(32), chunk: CHUNK };

function offered(size = 3 * CHUNK): OutgoingTransfer {
  const t = new OutgoingTransfer({ id: ID, name: "f.bin", size });
  t.handle({ type: "prepared", prepared });
  t.handle({ type: "offer" });
  return t;
}

Deno.test("OutgoingTransfer: offered once hashed; an accept with kept chunks pumps only the others and counts what was kept", () => {
  const t = new OutgoingTransfer({ id: ID, name: "f.bin", size: 3 * CHUNK });
  assertEquals(t.handle({ type: "offer" }), [], "not before it is hashed");
  t.handle({ type: "prepared", prepared });
  assertEquals(t.handle({ type: "offer" }), [{
    type: "say",
    message: { type: "file-offer", id: ID, name: "f.bin", size: 3 * CHUNK, ...prepared },
  }]);
  const have = new Bitmap(3);
  have.set(1);
  assertEquals(t.handle({ type: "accepted", have: have.toBase64() }), [
    { type: "send-list" },
    { type: "pump", chunks: [0, 2] },
  ]);
  assertEquals(t.resumedBytes, CHUNK);
  assertEquals(t.handle({ type: "pumped" }), [{
    type: "say",
    message: { type: "file-end", id: ID },
  }]);
  assertEquals(t.handle({ type: "want", have: have.toBase64() }), [{
    type: "pump",
    chunks: [0, 2],
  }]);
  t.handle({ type: "pumped" });
  assertEquals(t.handle({ type: "done" }), [{ type: "finish", outcome: { kind: "done" } }]);
});

Deno.test("OutgoingTransfer: a malformed have is corrupt and told; a decline says why with the limit", () => {
  assertEquals(offered().handle({ type: "accepted", have: "////" }), [
    { type: "say", message: { type: "file-cancel", id: ID, reason: "corrupt" } },
    {
      type: "finish",
      outcome: { kind: "failed", reason: "corrupt", by: "peer", resumable: false },
    },
  ]);
  assertEquals(offered().handle({ type: "declined", reason: "too-large", max: 99 }), [
    {
      type: "finish",
      outcome: { kind: "failed", reason: "too-large", by: "peer", resumable: false, max: 99 },
    },
  ]);
});

Deno.test("OutgoingTransfer: a changed file is told to the receiver; a lost chat after the accept is resumable", () => {
  const changed = offered();
  changed.handle({ type: "accepted", have: new Bitmap(3).toBase64() });
  assertEquals(changed.handle({ type: "fail", reason: "changed" }), [
    { type: "say", message: { type: "file-cancel", id: ID, reason: "changed" } },
    {
      type: "finish",
      outcome: { kind: "failed", reason: "changed", by: "none", resumable: false },
    },
  ]);
  const lost = offered();
  lost.handle({ type: "accepted", have: new Bitmap(3).toBase64() });
  assertEquals(lost.handle({ type: "fail", reason: "connection-lost" }), [
    {
      type: "finish",
      outcome: { kind: "failed", reason: "connection-lost", by: "none", resumable: true },
    },
  ]);
  const budget = new OutgoingTransfer({ id: ID, name: "f.bin", size: 1 });
  budget.handle({ type: "prepared", prepared });
  assertEquals(budget.handle({ type: "fail", reason: "relay-budget", left: 5 }), [
    {
      type: "finish",
      outcome: { kind: "failed", reason: "relay-budget", by: "none", resumable: false, left: 5 },
    },
  ], "refused before any offer: nothing told");
});

Deno.test("OutgoingTransfer: cancelled by the user it tells the receiver; anything after the end is ignored", () => {
  const t = offered();
  assertEquals(t.handle({ type: "cancel" }), [
    { type: "say", message: { type: "file-cancel", id: ID, reason: "cancelled" } },
    {
      type: "finish",
      outcome: { kind: "failed", reason: "cancelled", by: "you", resumable: false },
    },
  ]);
  assertEquals(t.handle({ type: "done" }), []);
  assertEquals(t.handle({ type: "accepted", have: "" }), []);
});
