import { assertEquals } from "../tests/assert.ts";
import { RateLimiter } from "./rate_limit.ts";

Deno.test("RateLimiter allows a burst of `rate`, then refills with time", () => {
  const clock = { now: 0 };
  const limiter = new RateLimiter(3, () => clock.now);
  assertEquals([1, 2, 3, 4].map(() => limiter.take("a")), [true, true, true, false]);
  assertEquals(limiter.take("b"), true, "addresses are independent");
  clock.now += 400;
  assertEquals(limiter.take("a"), true);
  assertEquals(limiter.take("a"), false);
});

Deno.test("RateLimiter with rate 0 never limits", () => {
  const limiter = new RateLimiter(0, () => 0);
  for (let i = 0; i < 1000; i++) assertEquals(limiter.take("a"), true);
});
