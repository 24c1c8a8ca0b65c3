import { assertEquals } from "../../tests/assert.ts";
import {
  backoffMs,
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
