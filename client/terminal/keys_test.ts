import fc from "fast-check";
import { assert, assertEquals } from "../../tests/assert.ts";
import { type Key, KeyDecoder, MAX_ESCAPE_LENGTH } from "./keys.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (...reads: string[]): Key[] => {
  const keys = new KeyDecoder();
  return reads.flatMap((read) => keys.push(bytes(read)));
};

/** Keys with adjacent text keys joined, as a reader cannot tell where one read ended. */
function joined(keys: Key[]): Key[] {
  const out: Key[] = [];
  for (const key of keys) {
    const last = out.at(-1);
    if (key.kind === "text" && last?.kind === "text") {
      out[out.length - 1] = { kind: "text", text: last.text + key.text };
    } else out.push(key);
  }
  return out;
}

Deno.test("KeyDecoder reads text typed or pasted at once as one key, and the control keys", () => {
  assertEquals(decode("hello, 日本 👩‍👩‍👧"), [{ kind: "text", text: "hello, 日本 👩‍👩‍👧" }]);
  assertEquals(
    decode("a\x01\x05\x02\x06\x10\x0e\x15\x0b\x17\t\x0c\x03\x04\x1a\x7f\b\rb").map((k) => k.kind),
    [
      "text",
      "home",
      "end",
      "left",
      "right",
      "up",
      "down",
      "killStart",
      "killEnd",
      "killWordBack",
      "tab",
      "redraw",
      "interrupt",
      "eof",
      "suspend",
      "backspace",
      "backspace",
      "enter",
      "text",
    ],
  );
});

Deno.test("KeyDecoder reads CSI and SS3 sequences, with modifiers, as the keys they stand for", () => {
  const kinds = (input: string) => decode(input).map((k) => k.kind);
  assertEquals(kinds("\x1b[A\x1b[B\x1b[C\x1b[D"), ["up", "down", "right", "left"]);
  assertEquals(kinds("\x1bOA\x1bOB\x1bOC\x1bOD\x1bOH\x1bOF"), [
    "up",
    "down",
    "right",
    "left",
    "home",
    "end",
  ]);
  assertEquals(kinds("\x1b[H\x1b[F\x1b[1~\x1b[4~\x1b[7~\x1b[8~\x1b[3~"), [
    "home",
    "end",
    "home",
    "end",
    "home",
    "end",
    "delete",
  ]);
  assertEquals(kinds("\x1b[1;5C\x1b[1;5D\x1b[1;3C\x1b[1;3D\x1bb\x1bf"), [
    "wordRight",
    "wordLeft",
    "wordRight",
    "wordLeft",
    "wordLeft",
    "wordRight",
  ]);
  assertEquals(kinds("\x1b[1;2A\x1b[1;5H"), ["up", "home"], "other modifiers: the plain key");
  assertEquals(kinds("\x1b\x7f"), ["killWordBack"], "Alt-Backspace");
});

Deno.test("KeyDecoder drops escape sequences it has no key for, and never types them", () => {
  assertEquals(decode("a\x1b[15~b\x1b[200~c\x1b[201~\x1bxd\x1b\x1b[Ae"), [
    { kind: "text", text: "a" },
    { kind: "text", text: "b" },
    { kind: "text", text: "c" },
    { kind: "text", text: "d" },
    { kind: "up" },
    { kind: "text", text: "e" },
  ]);
});

Deno.test("KeyDecoder passes control characters with no key of their own as text", () => {
  assertEquals(decode("a\x07b\x1fc"), [{ kind: "text", text: "a\x07b\x1fc" }]);
  assertEquals(decode("\u009b\u202e"), [{ kind: "text", text: "\u009b\u202e" }], "C1, bidi");
});

Deno.test("KeyDecoder takes CR LF as one Enter, even across reads, and LF alone as Enter", () => {
  assertEquals(decode("a\r\nb").map((k) => k.kind), ["text", "enter", "text"]);
  assertEquals(decode("a\r", "\nb").map((k) => k.kind), ["text", "enter", "text"]);
  assertEquals(decode("a\n\n").map((k) => k.kind), ["text", "enter", "enter"]);
});

Deno.test("KeyDecoder holds a character or a sequence split across reads until it is whole", () => {
  const family = bytes("👩‍👩‍👧");
  const keys = new KeyDecoder();
  assertEquals(keys.push(family.subarray(0, 3)), []);
  assertEquals(keys.push(family.subarray(3, 9)), [{ kind: "text", text: "👩\u200d" }]);
  assertEquals(keys.push(family.subarray(9)), [{ kind: "text", text: "👩\u200d👧" }]);
  assertEquals(keys.push(bytes("\x1b")), []);
  assert(keys.pending, "a lone Esc waits");
  assertEquals(keys.push(bytes("[")), []);
  assertEquals(keys.push(bytes("1;5")), []);
  assertEquals(keys.push(bytes("C")), [{ kind: "wordRight" }]);
  assert(!keys.pending);
});

Deno.test("KeyDecoder flush() drops a lone Esc, so the next key is itself", () => {
  const keys = new KeyDecoder();
  assertEquals(keys.push(bytes("\x1b")), []);
  keys.flush();
  assertEquals(keys.push(bytes("b")), [{ kind: "text", text: "b" }]);
});

Deno.test("KeyDecoder drops an escape sequence that never ends, rather than holding it", () => {
  const keys = new KeyDecoder();
  assertEquals(keys.push(bytes(`\x1b[${"1;".repeat(MAX_ESCAPE_LENGTH)}`)), []);
  assert(!keys.pending, "nothing held");
  assertEquals(keys.push(bytes("x")), [{ kind: "text", text: "x" }]);
});

Deno.test("KeyDecoder gives the same keys however the input is cut, a byte at a time included", () => {
  const pieces = fc.constantFrom(
    "a",
    "日",
    "👩‍👩‍👧",
    "e\u0301",
    "\r",
    "\r\n",
    "\x7f",
    "\x03",
    "\x07",
    "\x1b[A",
    "\x1b[1;5D",
    "\x1b[3~",
    "\x1bOH",
    "\x1bb",
    "\x1b[200~",
  );
  fc.assert(
    fc.property(
      fc.array(pieces, { maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (parts, cuts) => {
        const whole = bytes(parts.join(""));
        const at = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
        const keys = new KeyDecoder();
        const got: Key[] = [];
        let from = 0;
        for (const cut of [...at, whole.length]) {
          got.push(...keys.push(whole.subarray(from, cut)));
          from = cut;
        }
        assertEquals(joined(got), joined(new KeyDecoder().push(whole)));
        const single = new KeyDecoder();
        assertEquals(joined([...whole].flatMap((b) => single.push(Uint8Array.of(b)))), joined(got));
      },
    ),
  );
});

Deno.test("KeyDecoder survives garbage: no throw, and no text key carries an ESC", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (garbage) => {
      const keys = new KeyDecoder().push(garbage);
      assert(keys.every((k) => k.kind !== "text" || !k.text.includes("\x1b")));
    }),
  );
});
