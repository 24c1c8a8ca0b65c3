import fc from "fast-check";
import { assert, assertEquals } from "../tests/assert.ts";
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

Deno.test("safeText() leaves ordinary text, wide characters and emoji alone", () => {
  for (const text of ["hello", "日本語テキスト", "naïve café", "🙂 ok", "a\\x1b stays as typed"]) {
    assertEquals(safeText(text), text);
  }
});

Deno.test("property: safeText() output holds no control or bidi formatting character", () => {
  const unsafe =
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => {
      assert(!unsafe.test(safeText(text)));
    }),
    { numRuns: 2000 },
  );
});
