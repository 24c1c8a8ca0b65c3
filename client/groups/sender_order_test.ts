import { assertEquals } from "../../tests/assert.ts";
import { GAP_WAIT_MS, MAX_AHEAD, MAX_HELD_PER_SENDER, SenderOrder } from "./sender_order.ts";

Deno.test("SenderOrder shows in order, once: a repeat is a duplicate, one ahead waits for the gap", () => {
  const o = new SenderOrder<string>();
  assertEquals(o.take(1, "a", 0), { show: ["a"] });
  assertEquals(o.take(1, "a", 0), { duplicate: true });
  assertEquals(o.take(3, "c", 0), { held: true });
  assertEquals(o.take(3, "c", 0), { duplicate: true });
  assertEquals(o.releaseAt, GAP_WAIT_MS);
  assertEquals(o.take(2, "b", 5), { show: ["b", "c"] });
  assertEquals(o.releaseAt, undefined);
  assertEquals(o.state, { next: 4, skipped: [] });
});

Deno.test("SenderOrder gives up on a gap after GAP_WAIT_MS; the missing one, late, shows once", () => {
  const o = new SenderOrder<string>({ next: 5, skipped: [] });
  o.take(7, "g", 0);
  assertEquals(o.release(GAP_WAIT_MS - 1), []);
  assertEquals(o.release(GAP_WAIT_MS), ["g"]);
  assertEquals(o.state, { next: 8, skipped: [[5, 6]] });
  assertEquals(o.take(6, "f", GAP_WAIT_MS), { show: ["f"], late: true });
  assertEquals(o.take(6, "f", GAP_WAIT_MS), { duplicate: true });
  assertEquals(o.take(4, "d", GAP_WAIT_MS), { duplicate: true }, "before where it started");
  // Restarted from its state: still shown once.
  const again = new SenderOrder<string>(o.state);
  assertEquals(again.take(5, "e", 0), { show: ["e"], late: true });
  assertEquals(again.take(6, "f", 0), { duplicate: true });
});

Deno.test("SenderOrder gives up at once on a gap too wide or too full: a sender only skips its own numbers", () => {
  const o = new SenderOrder<number>();
  assertEquals(o.take(1 + MAX_AHEAD, 0, 0), { show: [0] });
  assertEquals(o.state.next, 2 + MAX_AHEAD);
  const full = new SenderOrder<number>();
  for (let i = 0; i < MAX_HELD_PER_SENDER; i++) {
    assertEquals(full.take(3 + i, i, 0), { held: true });
  }
  const shown = full.take(3 + MAX_HELD_PER_SENDER, -1, 0);
  assertEquals("show" in shown && shown.show.length, MAX_HELD_PER_SENDER + 1);
  assertEquals(full.take(2, 2, 0), { show: [2], late: true });
});
