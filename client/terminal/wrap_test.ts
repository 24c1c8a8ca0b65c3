import fc from "fast-check";
import { styleText } from "node:util";
import { assert, assertEquals } from "../../tests/assert.ts";
import { CONTINUATION, displayWidth, wrapText } from "./wrap.ts";

Deno.test("displayWidth() counts cells: wide characters two, marks and colour codes none", () => {
  assertEquals(displayWidth("abc"), 3);
  assertEquals(displayWidth("日本語"), 6);
  assertEquals(displayWidth("한국어"), 6);
  assertEquals(displayWidth("ＡＢ"), 4, "fullwidth forms");
  assertEquals(displayWidth("🙂"), 2);
  assertEquals(displayWidth("👩‍👩‍👧"), 6, "a joined emoji: each person, as tmux draws it");
  assertEquals(displayWidth("e\u0301"), 1, "a combining accent adds nothing");
  assertEquals(displayWidth("✓ ✔ ⚠ ✉ →"), 9, "the interface's own symbols are narrow");
  assertEquals(displayWidth(styleText("red", "warn")), 4);
});

Deno.test("wrapText() breaks between words, keeps fingerprint groups and indentation whole", () => {
  const line = "You are alice (fingerprint 51c2 8f7e 4705 5d40 a991 f4a4 b870 882d)";
  assertEquals(
    wrapText(line, 40),
    "You are alice (fingerprint 51c2 8f7e\n  4705 5d40 a991 f4a4 b870 882d)",
  );
  assertEquals(wrapText("  ✓ bob received m1 “hi”", 40), "  ✓ bob received m1 “hi”");
  assertEquals(wrapText("short\nlines stay", 6), "short\nlines\n  stay");
  assertEquals(
    wrapText("日本語テキスト", 6),
    "日本語\n  テキ\n  スト",
    "a word wider than a row is cut",
  );
  assertEquals(wrapText("ab  cd", 5), "ab \n  cd", "a space at the break is dropped");
  assertEquals(
    wrapText("  /chat NAME   open a chat with NAME, or switch", 30),
    "  /chat NAME   open a chat\n    with NAME, or switch",
    "an indented line's rows hang one step further in",
  );
  assertEquals(
    wrapText("[12:00] bob: one two three four five six seven eight nine ten eleven", 40, 13),
    "[12:00] bob: one two three four five six\n             seven eight nine ten eleven",
    "a message's rows hang under its text",
  );
  assertEquals(
    wrapText("[12:00] bob: one two three four", 20, 13),
    "[12:00] bob: one two\n  three four",
    "a hang that would leave under two thirds of the row: the usual indent",
  );
  assertEquals(wrapText("anything", 0), "anything", "no width known: as it is");
  assertEquals(wrapText("anything", 4), "anyt\nhing", "too narrow to indent: cut at the edge");
});

Deno.test("wrapText() property: no row wider than the terminal, continuations indented, only spaces become breaks", () => {
  const word = fc.oneof(
    fc.string({ maxLength: 12, unit: fc.constantFrom("a", "b", "日", "🙂", "é", "-") }),
    fc.constant(styleText("dim", "dim")),
  );
  fc.assert(
    fc.property(fc.array(word, { maxLength: 30 }), fc.integer({ min: 5, max: 80 }), (ws, cols) => {
      const text = ["x", ...ws].join(" "); // No indent of its own: continuations take two cells.
      const wrapped = wrapText(text, cols);
      const rows = wrapped.split("\n");
      for (const row of rows) {
        assert(displayWidth(row) <= cols, `${JSON.stringify(row)} is wider than ${cols}`);
      }
      assert(rows.slice(1).every((row) => row.startsWith(CONTINUATION)), "continuations indented");
      // Nothing but breaks and indents is added; only spaces are removed.
      const squeeze = (s: string) => s.replace(/[ \n]/g, "");
      assertEquals(squeeze(wrapped), squeeze(text));
    }),
  );
});
