import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { abortable, Deadline, delay } from "./deadline.ts";

class Late extends Error {}

Deno.test("Deadline aborts its signal with the reason given once the time is up", async () => {
  using deadline = Deadline.after(20, () => new Late("late"));
  const error = await assertRejects(() => abortable(new Promise(() => {}), deadline.signal), Late);
  assertEquals(error.message, "late");
  assert(deadline.signal.aborted);
});

Deno.test("Deadline follows its parent: an aborted parent aborts it with the parent's reason", () => {
  const parent = new AbortController();
  using deadline = Deadline.after(10_000, () => new Late("own"), parent.signal);
  parent.abort(new RangeError("parent"));
  assert(deadline.signal.reason instanceof RangeError);
  using already = Deadline.after(10_000, () => new Late("own"), parent.signal);
  assert(already.signal.aborted);
});

Deno.test("abortable() settles as the promise does while the signal holds", async () => {
  using deadline = Deadline.after(1000, () => new Late("late"));
  assertEquals(await abortable(Promise.resolve(7), deadline.signal), 7);
  await assertRejects(
    () => abortable(Promise.reject(new RangeError("x")), deadline.signal),
    RangeError,
  );
  assertEquals(await abortable(Promise.resolve(8), undefined), 8);
});

Deno.test("delay() resolves after its time and rejects at once when aborted", async () => {
  const started = performance.now();
  await delay(15);
  assert(performance.now() - started >= 10);
  const controller = new AbortController();
  const waiting = delay(10_000, controller.signal);
  controller.abort(new Late("stop"));
  await assertRejects(() => waiting, Late);
});
