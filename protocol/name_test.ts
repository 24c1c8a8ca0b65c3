import { assert, assertEquals, assertNotEquals, assertRejects } from "../tests/assert.ts";
import { InvalidNameError } from "./errors.ts";
import { nameKey, nameSkeleton, parseName } from "./name.ts";

Deno.test("parseName() accepts letters, digits, _ - . inside, up to 32 characters", () => {
  for (const ok of ["a", "Alice", "bob_2", "x.y-z", "A".repeat(32), "7", "a.b"]) {
    assertEquals(parseName(ok), ok);
  }
});

Deno.test("parseName() names the offending character and gives the full rule", async () => {
  const cases: [string, string][] = [
    ["", "The name is empty"],
    ["a".repeat(33), "33 characters long"],
    ["al ice", "U+0020 at position 3"],
    ["ålice", "U+00E5 at position 1"],
    ["a/b", '"/" at position 2'],
    ["a\u0000", "U+0000 at position 2"],
    ["bob.", 'ends with "."'],
    [".", 'starts with "."'],
    ["..", 'starts with "."'],
    ["-x", 'starts with "-"'],
    ["x_", 'ends with "_"'],
  ];
  for (const [input, words] of cases) {
    const error = await assertRejects(
      () => Promise.resolve().then(() => parseName(input)),
      InvalidNameError,
      "name-invalid",
    );
    assert(error.message.includes(words), `${JSON.stringify(input)}: ${error.message}`);
    assert(error.message.includes("letters A-Z and a-z, digits"), error.message);
  }
});

Deno.test("nameKey() folds case so Alice and alice are one name", () => {
  assertEquals(nameKey(parseName("Alice")), nameKey(parseName("aLICE")));
});

Deno.test("nameSkeleton() maps look-alike names together", () => {
  const alike: [string, string][] = [
    ["carol", "caro1"],
    ["lI", "ll"],
    ["bob", "b0b"],
    ["sam", "5am"],
    ["modern", "rnodern"],
    ["alice_b", "alice-b"],
    ["a.b", "a-b"],
    ["will", "vvill"],
    ["Alice", "ALICE"],
  ];
  for (const [a, b] of alike) {
    assertEquals(nameSkeleton(parseName(a)), nameSkeleton(parseName(b)), `${a} ~ ${b}`);
  }
  const apart = [["alice", "alicia"], ["bob", "rob"], ["dan", "don"], ["user6", "user8"]];
  for (let i = 0; i < 10; i++) for (let j = i + 1; j < 10; j++) apart.push([`u${i}`, `u${j}`]);
  for (const [a, b] of apart) {
    assertNotEquals(nameSkeleton(parseName(a)), nameSkeleton(parseName(b)), `${a} vs ${b}`);
  }
});
