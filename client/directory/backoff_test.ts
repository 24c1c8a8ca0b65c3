import { assertEquals } from "../../tests/assert.ts";
import { backoffMs, MAX_BACKOFF_MS, MIN_BACKOFF_MS } from "./backoff.ts";

Deno.test("backoffMs() doubles from the minimum to the cap, half of each wait random", () => {
  assertEquals(backoffMs(0, () => 0), MIN_BACKOFF_MS / 2);
  assertEquals(backoffMs(0, () => 1), MIN_BACKOFF_MS);
  assertEquals(backoffMs(1, () => 1), 2 * MIN_BACKOFF_MS);
  assertEquals(backoffMs(30, () => 1), MAX_BACKOFF_MS);
  assertEquals(backoffMs(30, () => 0), MAX_BACKOFF_MS / 2);
});
