import { assertEquals } from "../../tests/assert.ts";
import { Progress, PROGRESS_PER_SECOND } from "./progress.ts";

Deno.test("Progress: at most PROGRESS_PER_SECOND reports a second, and a rate over the last seconds", () => {
  const p = new Progress(0, 0);
  let reports = 0;
  for (let t = 0; t < 10_000; t += 10) {
    p.update(t * 1000, t);
    if (p.due(t)) reports++;
  }
  assertEquals(reports, 10 * PROGRESS_PER_SECOND);
  assertEquals(p.rate(9_990), 1_000_000);
  p.restart(5, 20_000);
  assertEquals([p.bytes, p.rate(20_000)], [5, 0], "what was kept is no part of the rate");
});
