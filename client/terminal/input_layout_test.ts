import fc from "fast-check";
import { assert, assertEquals } from "../../tests/assert.ts";
import { cellWidth } from "./cell_width.ts";
import { cursorRowAfterResize, layoutInput } from "./input_layout.ts";
import { drawBlock, drawEntered, eraseBlock } from "./block_escapes.ts";

const FAMILY = "👩‍👩‍👧";
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

Deno.test("layoutInput() puts a short line on one row, the cursor where it is in the text", () => {
  const layout = layoutInput("> ", "hello", 2, 80);
  assertEquals(layout.rows, ["> hello"]);
  assertEquals(layout.cursor, { row: 0, column: 4 });
  assertEquals(layoutInput("> ", "日本", 2, 80).cursor, { row: 0, column: 6 }, "after: 2 + 4");
});

Deno.test("layoutInput() moves a wide character that would take the last column to the next row", () => {
  // "> " and 7 cells of "a": 日 would need columns 9 and 10 of a 10-column row.
  const layout = layoutInput("> ", "aaaaaaa日b", "aaaaaaa".length, 10);
  assertEquals(layout.rows, ["> aaaaaaa", "日b"]);
  assertEquals(layout.cursor, { row: 1, column: 0 }, "the cursor on 日, where it is drawn");
  assertEquals(layout.widths, [[1, 1, 1, 1, 1, 1, 1, 1, 1], [2, 1]]);
});

Deno.test("layoutInput() never splits a joined emoji: six cells that do not fit start a row", () => {
  const text = `${"a".repeat(94)}${FAMILY} x`;
  const layout = layoutInput("> ", text, text.length, 100);
  assertEquals(layout.rows, [`> ${"a".repeat(94)}`, `${FAMILY} x`]);
  assertEquals(layout.cursor, { row: 1, column: 8 });
});

Deno.test("layoutInput() adds an empty row for the cursor when the text fills its last row", () => {
  const layout = layoutInput("> ", "abcdefgh", 8, 10);
  assertEquals(layout.rows, ["> abcdefgh", ""]);
  assertEquals(layout.cursor, { row: 1, column: 0 });
  assertEquals(layoutInput("> ", "abcdefg日", 8, 10).rows, ["> abcdefg", "日"]);
  assertEquals(layoutInput("> ", "", 0, 2).rows, ["> ", ""]);
});

Deno.test("layoutInput() shows control and format characters as escapes, the line as typed", () => {
  const layout = layoutInput("> ", "a\x07b\u202ec\u200bd\u0301", 9, 80);
  assertEquals(layout.rows, ["> a\\x07b\\u{202e}c\\u{200b}d\u0301"]);
  assertEquals(layoutInput("> ", "\u0301x", 0, 80).rows, ["> \\u{0301}x"], "a mark on its own");
  assertEquals(layoutInput("> ", "\u200d", 0, 80).rows, ["> \\u{200d}"], "a joiner on its own");
});

Deno.test("layoutInput() cuts what is wider than the whole row, and shows a wide character in one column as ?", () => {
  assertEquals(layoutInput("", "\u202e", 0, 4).rows, ["\\u{2", "02e}", ""]);
  assertEquals(layoutInput("", FAMILY, 0, 4).rows, ["👩\u200d👩\u200d", "👧"]);
  assertEquals(layoutInput("", "日a", 0, 1).rows, ["?", "a", ""]);
});

Deno.test("cursorRowAfterResize() follows the terminal's re-wrap of each row", () => {
  const text = "a".repeat(150);
  const layout = layoutInput("> ", text, text.length, 100); // rows of 100 and 52 cells
  assertEquals(layout.cursor, { row: 1, column: 52 });
  assertEquals(cursorRowAfterResize(layout, 100), 1);
  assertEquals(cursorRowAfterResize(layout, 60), 2, "the first row takes two");
  assertEquals(
    cursorRowAfterResize(layout, 26),
    5,
    "4 rows, then the cursor after 52 cells: row 2",
  );
  assertEquals(cursorRowAfterResize(layout, 25), 6, "4 rows (100 cells), then 25+25+2: the third");
  assertEquals(cursorRowAfterResize(layout, 200), 1, "rows of their own are not joined");
  const middle = layoutInput("> ", text, 10, 100);
  assertEquals(cursorRowAfterResize(middle, 5), 2, "on the cell it was on: cell 12 of row 0");
  const wide = layoutInput("", "aaa日日", "aaa日".length, 100);
  assertEquals(wide.cursor, { row: 0, column: 5 }, "on the second 日");
  assertEquals(cursorRowAfterResize(wide, 3), 2, "aaa, 日, then 日 on a row of its own");
  assertEquals(cursorRowAfterResize(wide, 4), 1, "aaa, then 日日");
});

Deno.test("the block's escape sequences erase from its first row and put the cursor in place", () => {
  const layout = layoutInput("> ", "abcdefghij", 3, 8);
  assertEquals(layout.rows, ["> abcdef", "ghij"]);
  assertEquals(eraseBlock(0), "\r\x1b[J");
  assertEquals(eraseBlock(2), "\x1b[2A\r\x1b[J");
  assertEquals(drawBlock(layout), "> abcdef\r\nghij\x1b[1A\x1b[6G");
  assertEquals(drawEntered(layout), "> abcdef\r\nghij\r\n");
  assertEquals(drawEntered(layoutInput("> ", "abcdef", 6, 8)), "> abcdef\r\n", "no blank row");
});

const pieces = fc.constantFrom(
  "a",
  "b",
  " ",
  "日",
  "語",
  "🙂",
  FAMILY,
  "e\u0301",
  "❤\ufe0f",
  "\u{1f210}",
  "\x07",
  "\u202e",
  "\u0301",
  "й",
);
const line = fc.array(pieces, { maxLength: 60 }).map((p) => p.join(""));
const prompt = fc.constantFrom("", "> ", "bob→alice> ", "Your name: ", "bob→alice (offline)> ");

Deno.test("layoutInput() at any width from 1 to 200: no row wider than the terminal, nothing lost, the cursor on its grapheme", () => {
  fc.assert(
    fc.property(prompt, line, fc.nat(), fc.integer({ min: 1, max: 200 }), (p, text, n, columns) => {
      const starts = [...graphemes.segment(text)].map((g) => g.index);
      const cursor = [...starts, text.length][n % (starts.length + 1)];
      const layout = layoutInput(p, text, cursor, columns);
      const { rows, widths } = layout;
      // Never one cell more than the terminal has: the terminal never wraps a row itself.
      for (const [i, row] of rows.entries()) {
        assert(cellWidth(row) <= columns, `row ${i} is ${cellWidth(row)} cells: ${row}`);
        assertEquals(widths[i].reduce((a, b) => a + b, 0), cellWidth(row));
      }
      // Rows break only where the next piece does not fit.
      for (let i = 0; i + 1 < rows.length; i++) {
        const next = widths[i + 1][0];
        if (next !== undefined) assert(cellWidth(rows[i]) + next > columns, `row ${i} had room`);
      }
      // Nothing lost: the rows hold the prompt and the text as shown (wider-than-a-row aside).
      const whole = layoutInput(p, text, cursor, 1000).rows[0];
      if (columns >= 2) assertEquals(rows.join(""), whole);
      // The cursor is inside the block, on a cell, where the text before it ends or on the next row.
      assert(layout.cursor.row < rows.length && layout.cursor.column < columns);
      const before = layoutInput(p, text.slice(0, cursor), cursor, columns).cursor;
      assert(
        (before.row === layout.cursor.row && before.column === layout.cursor.column) ||
          (layout.cursor.column === 0 && layout.cursor.row === before.row + 1),
        `cursor ${JSON.stringify(layout.cursor)}, the text before it ends at ${
          JSON.stringify(before)
        }`,
      );
      // Resized to the same width, nothing moves; wider, rows stay rows.
      assertEquals(cursorRowAfterResize(layout, columns), layout.cursor.row);
      assertEquals(cursorRowAfterResize(layout, columns + 50), layout.cursor.row);
    }),
    { numRuns: 500 },
  );
});
