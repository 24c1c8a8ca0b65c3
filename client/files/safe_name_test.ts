import fc from "fast-check";
import { assert, assertEquals } from "../../tests/assert.ts";
import { MAX_NAME_BYTES, numberedName, safeFileName } from "./safe_name.ts";

const bytes = (s: string): number => new TextEncoder().encode(s).length;

Deno.test("safeFileName() makes every hostile name the issue lists a plain base name inside the downloads directory", () => {
  const cases: [string, string][] = [
    ["report.pdf", "report.pdf"],
    ["../../etc/passwd", "_.._etc_passwd"],
    ["..", "file"],
    [".", "file"],
    ["", "file"],
    [".bashrc", "bashrc"],
    ["-rf", "rf"],
    ["--help.txt", "help.txt"],
    ["a\\b\\c.txt", "a_b_c.txt"],
    ["C:\\Windows\\evil.dll", "C__Windows_evil.dll"],
    ["x\x1b[2Jy.txt", "x_[2Jy.txt"],
    ["invoice\u202efdp.exe", "invoice_fdp.exe"],
    ["zero\u200bwidth", "zero_width"],
    ["line\u2028break", "line_break"],
    ["CON", "_CON"],
    ["nul.txt", "_nul.txt"],
    ["COM1.log", "_COM1.log"],
    ["lpt9", "_lpt9"],
    ["console.txt", "console.txt"],
    ["trailing. . ", "trailing"],
    ["e\u0301t\u00e9.txt", "\u00e9t\u00e9.txt"],
    ["lone\ud800surrogate", "lone_surrogate"],
  ];
  for (const [offered, saved] of cases) assertEquals(safeFileName(offered), saved, offered);
});

Deno.test("safeFileName() keeps a long name within 255 bytes of UTF-8, cut between graphemes, with its extension", () => {
  const long = `${"日本語".repeat(60)}.tar.gz`;
  const saved = safeFileName(long);
  assert(bytes(saved) <= MAX_NAME_BYTES, `${bytes(saved)} bytes`);
  assert(saved.endsWith(".gz"));
  assert(!saved.includes("\ufffd"));
  const emoji = safeFileName("👩‍👩‍👧".repeat(40));
  assert(bytes(emoji) <= MAX_NAME_BYTES);
  assertEquals(emoji.length % "👩‍👩‍👧".length, 0, "no joined emoji cut in half");
});

Deno.test("numberedName() numbers a taken name before its extension, within the byte bound", () => {
  assertEquals(numberedName("report.pdf", 0), "report.pdf");
  assertEquals(numberedName("report.pdf", 1), "report (1).pdf");
  assertEquals(numberedName("archive", 12), "archive (12)");
  assert(bytes(numberedName("x".repeat(255), 999)) <= MAX_NAME_BYTES);
});

Deno.test("property: whatever a peer offers, the saved name is one non-empty component, never hidden, never an option, never a device, within 255 bytes", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 400 }), (offered) => {
      const saved = safeFileName(offered);
      assert(saved.length > 0);
      assert(!/[\/\\:*?"<>|]/.test(saved), saved);
      assert(!/^[.\- ]/.test(saved) && !/[. ]$/.test(saved), saved);
      assert(saved !== "." && saved !== "..");
      assert(!/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(saved), saved);
      assert(!/[\p{Cc}\p{Cf}\p{Cn}\p{Cs}\p{Zl}\p{Zp}]/u.test(saved), saved);
      assert(bytes(saved) <= MAX_NAME_BYTES);
      assertEquals(safeFileName(saved), saved, "safe names stay as they are");
    }),
    { numRuns: 3000 },
  );
});
