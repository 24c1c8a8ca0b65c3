import fc from "fast-check";
import { assert, assertEquals } from "../../tests/assert.ts";
import { cellWidth, codePointWidth } from "./cell_width.ts";

/**
 * What tmux 3.3a on glibc 2.36 drew for each code point after "A" (cursor
 * column less one; `tests/terminal_test.ts` checks the same in a real
 * terminal). Ours must never be less: a row we count as fitting would spill.
 */
const TMUX_DREW: [number, number][] = [
  [0x1f210, 2], // squared CJK ideograph: outside the old hand-kept list
  [0x2329, 2], // left-pointing angle bracket
  [0x4dc0, 2], // Yijing hexagram
  [0x00ad, 1], // soft hyphen: a format character, drawn as one
  [0x0600, 1], // Arabic number sign: a prepended concatenation mark
  [0x200b, 0],
  [0x0301, 0],
  [0xfe0f, 0],
  [0xe000, 1], // private use
  [0x0378, 0], // unassigned
  [0x200d, 0],
  [0xfeff, 0],
  [0xe0067, 0], // tag g
  [0x1160, 0], // Hangul medial vowel filler
  [0x3030, 2],
  [0x1f600, 2],
  [0x1f1e6, 1], // regional indicator A
  [0x2764, 1],
  [0x1f3fb, 2], // skin tone
  [0x0b41, 0],
  [0x3000, 2],
  [0xff01, 2],
  [0x1fae8, 0], // Unicode 15 emoji tmux's table does not know: other terminals draw two
];

Deno.test("codePointWidth() is never below what a real terminal drew", () => {
  for (const [codePoint, drawn] of TMUX_DREW) {
    assert(
      codePointWidth(codePoint) >= drawn,
      `U+${codePoint.toString(16)}: ours ${codePointWidth(codePoint)}, tmux ${drawn}`,
    );
  }
});

Deno.test("cellWidth() counts wide characters from the Unicode data, format and unassigned ones at the most, marks and joiners as none", () => {
  assertEquals(cellWidth("\u{1f210}\u2329\u4dc0"), 6, "the characters the old table missed");
  assertEquals(cellWidth("\u00ad\u0600\u0378"), 6, "width unsettled: two each");
  assertEquals(cellWidth("e\u0301\u0308"), 1, "combining marks join their letter");
  assertEquals(cellWidth("👩‍👩‍👧"), 6, "code point by code point, ZWJ none");
  assertEquals(cellWidth("❤\ufe0f"), 2, "U+FE0F makes a text emoji two cells");
  assertEquals(cellWidth("x\ufe0f"), 1, "but not a letter");
  assertEquals(cellWidth("Привет"), 6, "ambiguous-width letters as one");
  assertEquals(
    cellWidth("\u{1fae9}"),
    2,
    "an emoji newer than this V8's Unicode, from the width data",
  );
});

Deno.test("property: cellWidth() adds up over concatenation and counts every visible code point", () => {
  const text = fc.string({ unit: "grapheme", maxLength: 20 });
  fc.assert(
    fc.property(text, text, (a, b) => {
      if (b.startsWith("\ufe0f")) return;
      assertEquals(cellWidth(a + b), cellWidth(a) + cellWidth(b));
      assert(cellWidth(a) <= 2 * [...a].length);
    }),
  );
});
