import { assertEquals } from "../../tests/assert.ts";
import { applyKey } from "./key_bindings.ts";
import type { Key, KeyName } from "./keys.ts";
import { LineEditor } from "./line_editor.ts";

const press = (editor: LineEditor, ...names: KeyName[]) =>
  names.map((kind) => applyKey(editor, { kind } as Key));
const type = (editor: LineEditor, text: string) => applyKey(editor, { kind: "text", text });

Deno.test("applyKey() types text and edits the line, asking for a redraw", () => {
  const editor = new LineEditor();
  assertEquals(type(editor, "hello world"), { kind: "edited" });
  assertEquals(press(editor, "killWordBack", "home", "delete", "end", "backspace"), [
    { kind: "edited" },
    { kind: "edited" },
    { kind: "edited" },
    { kind: "edited" },
    { kind: "edited" },
  ]);
  assertEquals(editor.text, "ello");
});

Deno.test("applyKey() Enter hands over the line and starts an empty one", () => {
  const editor = new LineEditor();
  type(editor, "hi 👩‍👩‍👧");
  assertEquals(press(editor, "enter"), [{ kind: "submit", line: "hi 👩‍👩‍👧" }]);
  assertEquals(editor.text, "");
});

Deno.test("applyKey() Ctrl-D ends the input on an empty line, and deletes forward otherwise", () => {
  const editor = new LineEditor();
  type(editor, "ab");
  press(editor, "home");
  assertEquals(press(editor, "eof"), [{ kind: "edited" }]);
  assertEquals(editor.text, "b");
  press(editor, "eof");
  assertEquals(press(editor, "eof"), [{ kind: "end" }]);
});

Deno.test("applyKey() leaves Ctrl-C, Tab, Ctrl-L and Ctrl-Z to the terminal, the line untouched", () => {
  const editor = new LineEditor();
  type(editor, "kept");
  assertEquals(press(editor, "interrupt", "tab", "redraw", "suspend"), [
    { kind: "interrupt" },
    { kind: "complete" },
    { kind: "clear-screen" },
    { kind: "suspend" },
  ]);
  assertEquals(editor.text, "kept");
});

Deno.test("applyKey() Up and Down recall the lines remembered", () => {
  const editor = new LineEditor();
  editor.remember("earlier");
  type(editor, "now");
  press(editor, "up");
  assertEquals(editor.text, "earlier");
  press(editor, "down");
  assertEquals(editor.text, "now");
});
