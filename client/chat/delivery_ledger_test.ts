import fc from "fast-check";
import { assert, assertEquals } from "../../tests/assert.ts";
import { DeliveryLedger, LedgerViolation, MAX_IN_FLIGHT } from "./delivery_ledger.ts";

Deno.test("DeliveryLedger numbers messages m1, m2, … and reports each acknowledgement once", () => {
  const ledger = new DeliveryLedger();
  assertEquals(ledger.send("one", 1).id, "m1");
  assertEquals(ledger.send("two", 2).id, "m2");
  assertEquals(ledger.acknowledge("m1")?.text, "one");
  assertEquals(ledger.acknowledge("m1"), undefined, "a repeated ack is ignored");
  assertEquals(ledger.acknowledge("m9"), undefined, "an unknown id is ignored");
  assertEquals(ledger.end().map((m) => m.id), ["m2"]);
  assertEquals(ledger.acknowledge("m2"), undefined, "an ack after the end is ignored");
});

Deno.test("DeliveryLedger shows the peer's messages once and in order, holding one ahead of a gap", () => {
  const ledger = new DeliveryLedger();
  const msg = (n: number) => ({ id: `m${n}`, text: `t${n}`, time: n });
  assertEquals(ledger.receive(msg(1)), { show: [msg(1)] });
  assertEquals(ledger.receive(msg(3)), { held: true });
  assertEquals(ledger.receive(msg(3)), { duplicate: true });
  assertEquals(ledger.receive(msg(2)), { show: [msg(2), msg(3)] });
  assertEquals(ledger.receive(msg(1)), { duplicate: true });
});

Deno.test("DeliveryLedger refuses malformed ids and ids too far ahead", () => {
  const ledger = new DeliveryLedger();
  for (const id of ["1", "m0", "m-1", "m01", "x1", "m" + "9".repeat(20), ""]) {
    let thrown: unknown;
    try {
      ledger.receive({ id, text: "", time: 0 });
    } catch (error) {
      thrown = error;
    }
    assert(thrown instanceof LedgerViolation, id);
  }
  let thrown: unknown;
  try {
    ledger.receive({ id: `m${MAX_IN_FLIGHT + 1}`, text: "", time: 0 });
  } catch (error) {
    thrown = error;
  }
  assert(thrown instanceof LedgerViolation);
});

Deno.test("DeliveryLedger bounds what waits for acknowledgement", () => {
  const ledger = new DeliveryLedger();
  for (let i = 0; i < MAX_IN_FLIGHT; i++) ledger.send("x", 0);
  let thrown: unknown;
  try {
    ledger.send("one too many", 0);
  } catch (error) {
    thrown = error;
  }
  assert(thrown instanceof RangeError);
});

Deno.test("property: no message id is ever both delivered and undelivered", () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.constant("send"), fc.integer({ min: 1, max: 40 })), { maxLength: 80 }),
      (steps) => {
        const ledger = new DeliveryLedger();
        const sent: string[] = [];
        const delivered = new Set<string>();
        for (const step of steps) {
          if (step === "send") sent.push(ledger.send("x", 0).id);
          else {
            const acked = ledger.acknowledge(`m${step}`);
            if (acked) {
              assert(!delivered.has(acked.id), "delivered twice");
              delivered.add(acked.id);
            }
          }
        }
        const undelivered = ledger.end().map((m) => m.id);
        for (const id of undelivered) assert(!delivered.has(id), `${id} both`);
        assertEquals(new Set([...delivered, ...undelivered]).size, sent.length, "each in one");
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("property: however a sender's messages are repeated and reordered, each is shown once, in order", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 30 }),
      fc.array(fc.nat(), { maxLength: 60 }),
      (count, noise) => {
        // Every message at least once, plus repeats, in a shuffled order.
        const arrivals = Array.from({ length: count }, (_, i) => i + 1);
        for (const n of noise) arrivals.push(1 + (n % count));
        for (let i = arrivals.length - 1; i > 0; i--) {
          const j = (noise[i % Math.max(1, noise.length)] ?? i) % (i + 1);
          [arrivals[i], arrivals[j]] = [arrivals[j], arrivals[i]];
        }
        const ledger = new DeliveryLedger();
        const shown: number[] = [];
        for (const n of arrivals) {
          const arrival = ledger.receive({ id: `m${n}`, text: "", time: 0 });
          if ("show" in arrival) shown.push(...arrival.show.map((m) => Number(m.id.slice(1))));
        }
        assertEquals(shown, Array.from({ length: count }, (_, i) => i + 1));
      },
    ),
    { numRuns: 500 },
  );
});
