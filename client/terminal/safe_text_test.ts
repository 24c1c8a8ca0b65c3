import fc from "fast-check";
import { assert, assertEquals } from "../../tests/assert.ts";
import { safeText } from "./safe_text.ts";

Deno.test("safeText() shows escape sequences, C1 controls and newlines as visible escapes", () => {
  assertEquals(safeText("a\x1b[2Jb"), "a\\x1b[2Jb");
  assertEquals(safeText("title\x1b]0;pwned\x07"), "title\\x1b]0;pwned\\x07");
  assertEquals(safeText("csi\u009b31m"), "csi\\x9b31m");
  assertEquals(safeText("one\ntwo\rthree\tfour"), "one\\x0atwo\\x0dthree\\x09four");
  assertEquals(safeText("del\x7f"), "del\\x7f");
});

Deno.test("safeText() neutralises bidirectional overrides, isolates and marks", () => {
  assertEquals(safeText("abc\u202edcba"), "abc\\u{202e}dcba");
  for (const code of [0x202a, 0x202b, 0x202c, 0x202d, 0x2066, 0x2067, 0x2068, 0x2069, 0x200f]) {
    assertEquals(safeText(String.fromCharCode(code)), `\\u{${code.toString(16)}}`);
  }
});

Deno.test("safeText() shows format characters terminals disagree on, unassigned code points and lone surrogates", () => {
  assertEquals(safeText("soft\u00adhyphen"), "soft\\xadhyphen");
  assertEquals(safeText("\u0600\u200b\ufeff\u2060"), "\\u{0600}\\u{200b}\\u{feff}\\u{2060}");
  assertEquals(safeText("\u0378"), "\\u{0378}", "unassigned");
  assertEquals(safeText("tag\u{e0067}"), "tag\\u{e0067}", "an astral one, whole");
  assertEquals(safeText("lone\ud800"), "lone\\u{d800}");
});

Deno.test("safeText() leaves ordinary text, wide characters, emoji, joiners and marks alone", () => {
  for (
    const text of [
      "hello",
      "日本語テキスト",
      "naïve café",
      "e\u0301",
      "🙂 ok",
      "👩‍👩‍👧",
      "❤️",
      "می\u200cخواهم",
      "a\\x1b stays as typed",
    ]
  ) {
    assertEquals(safeText(text), text);
  }
});

Deno.test("property: safeText() output holds no control, format (but the joiners), unassigned or separator character", () => {
  const unsafe = /[[\p{Cc}\p{Cf}\p{Cs}\p{Cn}\p{Zl}\p{Zp}]--[\u200c\u200d]]/v;
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => {
      assert(!unsafe.test(safeText(text)));
    }),
    { numRuns: 2000 },
  );
});
