import { assertEquals } from "../../tests/assert.ts";
import {
  backoffMs,
  busyDelayMs,
  firstReconnectMs,
  MAX_BACKOFF_MS,
  MIN_BACKOFF_MS,
  RECONNECT_SPREAD_MS,
} from "./backoff.ts";

Deno.test("backoffMs() doubles from the minimum to the cap, half of each wait random", () => {
  assertEquals(backoffMs(0, () => 0), MIN_BACKOFF_MS / 2);
  assertEquals(backoffMs(0, () => 1), MIN_BACKOFF_MS);
  assertEquals(backoffMs(1, () => 1), 2 * MIN_BACKOFF_MS);
  assertEquals(backoffMs(30, () => 1), MAX_BACKOFF_MS);
  assertEquals(backoffMs(30, () => 0), MAX_BACKOFF_MS / 2);
});

Deno.test("firstReconnectMs() spreads the first reconnection over [MIN_BACKOFF_MS, RECONNECT_SPREAD_MS]", () => {
  assertEquals(firstReconnectMs(() => 0), MIN_BACKOFF_MS);
  assertEquals(firstReconnectMs(() => 1), RECONNECT_SPREAD_MS);
  assertEquals(firstReconnectMs(() => 0.5), (MIN_BACKOFF_MS + RECONNECT_SPREAD_MS) / 2);
});

Deno.test("busyDelayMs() waits what Busy asked and up to a fifth more, never under MIN_BACKOFF_MS (a forged 0 cannot make a tight loop)", () => {
  assertEquals(busyDelayMs(1_000, () => 0), 1_000);
  assertEquals(busyDelayMs(1_000, () => 1), 1_200);
  assertEquals(busyDelayMs(0, () => 0), MIN_BACKOFF_MS);
});
