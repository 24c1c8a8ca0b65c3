import { assertEquals, assertNotEquals, assertRejects } from "../tests/assert.ts";
import { toHex } from "./bytes.ts";
import { RecordError } from "./errors.ts";
import { NonceCounter } from "./nonce_counter.ts";

Deno.test("NonceCounter XORs the big-endian sequence number into the IV's last 8 bytes", () => {
  const counter = new NonceCounter(new Uint8Array(12).fill(0xff));
  assertEquals(toHex(counter.nonceFor(0)), "ff".repeat(12));
  assertEquals(toHex(counter.nonceFor(1)), "ff".repeat(11) + "fe");
  assertEquals(toHex(counter.nonceFor(2 ** 32 + 2)), "ff".repeat(7) + "fe" + "fffffffd");
});

Deno.test("NonceCounter never hands out a sequence number twice", () => {
  const counter = new NonceCounter(new Uint8Array(12));
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) seen.add(toHex(counter.nonceFor(counter.take())));
  assertEquals(seen.size, 1000);
  assertNotEquals(toHex(counter.nonceFor(0)), toHex(counter.nonceFor(1)));
});

Deno.test("NonceCounter refuses to go past its limit", async () => {
  const counter = new NonceCounter(new Uint8Array(12), 3);
  counter.take();
  counter.take();
  counter.take();
  await assertRejects(
    () => Promise.resolve().then(() => counter.take()),
    RecordError,
    "nonce-exhausted",
  );
  await assertRejects(
    () => Promise.resolve().then(() => counter.take()),
    RecordError,
    "nonce-exhausted",
  );
});
