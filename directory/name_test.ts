import { assertEquals, assertRejects } from "../tests/assert.ts";
import { InvalidNameError } from "./errors.ts";
import { nameKey, parseName } from "./name.ts";

Deno.test("parseName() accepts letters, digits, _ - . up to 32 characters", () => {
  for (const ok of ["a", "Alice", "bob_2", "x.y-z", "A".repeat(32)]) {
    assertEquals(parseName(ok), ok);
  }
});

Deno.test("parseName() names each broken rule", async () => {
  const cases: [string, string][] = [
    ["", "empty"],
    ["a".repeat(33), "33 characters long"],
    ["al ice", "only letters"],
    ["ålice", "only letters"],
    ["a/b", "only letters"],
    ["a\u0000", "only letters"],
  ];
  for (const [input, words] of cases) {
    const error = await assertRejects(
      () => Promise.resolve().then(() => parseName(input)),
      InvalidNameError,
    );
    assertEquals(error.message.includes(words), true, `${JSON.stringify(input)}: ${error.message}`);
  }
});

Deno.test("nameKey() folds case so Alice and alice are one name", () => {
  assertEquals(nameKey(parseName("Alice")), nameKey(parseName("aLICE")));
});
