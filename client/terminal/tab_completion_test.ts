import { assertEquals } from "../../tests/assert.ts";
import { complete } from "../core/mod.ts";
import { LineEditor } from "./line_editor.ts";
import { applyCompletion, formatCandidates } from "./tab_completion.ts";

/** An editor holding `text`, the cursor at its end. */
function editing(text: string): LineEditor {
  const editor = new LineEditor();
  editor.insert(text);
  return editor;
}

/** Presses Tab in `editor` with complete() and `names`; returns what is listed. */
function tab(editor: LineEditor, names: string[], again = false): string[] | null {
  const before = editor.text.slice(0, editor.cursor);
  return applyCompletion(editor, complete(before, names), again);
}

Deno.test("applyCompletion() inserts the one candidate, with a space after it", () => {
  const editor = editing("/wh");
  assertEquals(tab(editor, []), null);
  assertEquals(editor.text, "/whois ");
  const name = editing("/msg al");
  tab(name, ["alice", "bob"]);
  assertEquals(name.text, "/msg alice ");
});

Deno.test("applyCompletion() inserts what several candidates share, and lists them on a second Tab", () => {
  const editor = editing("/ch");
  assertEquals(tab(editor, []), null);
  assertEquals(editor.text, "/chat");
  assertEquals(tab(editor, []), null, "the first Tab lists nothing");
  assertEquals(tab(editor, [], true), ["/chat", "/chats"]);
  assertEquals(editor.text, "/chat", "the line unchanged");
});

Deno.test("applyCompletion() replaces what was typed in another case, and leaves the rest of the line", () => {
  const editor = editing("/msg AL and more");
  for (let i = 0; i < " and more".length; i++) editor.left();
  tab(editor, ["alice"]);
  assertEquals(editor.text, "/msg alice  and more");
  assertEquals(editor.cursor, "/msg alice ".length);
});

Deno.test("applyCompletion() does nothing when nothing matches", () => {
  const editor = editing("/msg zed");
  assertEquals(tab(editor, ["alice"], true), null);
  assertEquals(editor.text, "/msg zed");
});

Deno.test("formatCandidates() lists candidates in columns that fit the width, names made safe", () => {
  assertEquals(formatCandidates(["/chat", "/chats"], 40), "/chat   /chats");
  assertEquals(formatCandidates(["alice", "bob", "carol", "dave"], 16), "alice  bob\ncarol  dave");
  assertEquals(formatCandidates(["a-very-long-name"], 5), "a-very-long-name");
  assertEquals(formatCandidates(["evil\x1b[2J"], 40), "evil\\x1b[2J");
});
