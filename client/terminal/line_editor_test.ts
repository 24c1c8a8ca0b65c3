import fc from "fast-check";
import { assert, assertEquals } from "../../tests/assert.ts";
import { HISTORY_LIMIT, LineEditor, MAX_INPUT_LENGTH } from "./line_editor.ts";

const FAMILY = "👩‍👩‍👧";
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** An editor holding `text`, the cursor at its end. */
function editing(text: string): LineEditor {
  const editor = new LineEditor();
  editor.insert(text);
  return editor;
}

/** The text with `|` where the cursor is. */
const shown = (editor: LineEditor): string =>
  `${editor.text.slice(0, editor.cursor)}|${editor.text.slice(editor.cursor)}`;

Deno.test("LineEditor inserts at the cursor and moves it after what was inserted", () => {
  const editor = editing("hd");
  editor.left();
  editor.insert("ello worl");
  assertEquals(shown(editor), "hello worl|d");
});

Deno.test("LineEditor backspace() deletes a joined emoji or an accented letter whole", () => {
  const editor = editing(`ab${FAMILY}`);
  editor.backspace();
  assertEquals(shown(editor), "ab|");
  const accent = editing("xe\u0301");
  accent.backspace();
  assertEquals(shown(accent), "x|");
  const flag = editing("🇫🇷🇩🇪");
  flag.backspace();
  assertEquals(shown(flag), "🇫🇷|", "a flag is two regional indicators, one grapheme");
  const empty = new LineEditor();
  empty.backspace();
  assertEquals(shown(empty), "|");
});

Deno.test("LineEditor left() and right() move a grapheme at a time, deleteForward() deletes one", () => {
  const editor = editing(`a${FAMILY}é日b`);
  editor.left();
  editor.left();
  assertEquals(shown(editor), `a${FAMILY}é|日b`);
  editor.left();
  editor.left();
  assertEquals(shown(editor), `a|${FAMILY}é日b`);
  editor.deleteForward();
  assertEquals(shown(editor), "a|é日b");
  editor.right();
  assertEquals(shown(editor), "aé|日b");
  editor.right();
  editor.right();
  editor.right();
  assertEquals(shown(editor), "aé日b|", "right() stops at the end");
  editor.deleteForward();
  assertEquals(shown(editor), "aé日b|");
});

Deno.test("LineEditor home(), end(), killStart(), killEnd() and killWordBack() work as readline's", () => {
  const editor = editing("one two  three");
  editor.killWordBack();
  assertEquals(shown(editor), "one two  |");
  editor.killWordBack();
  assertEquals(shown(editor), "one |", "spaces before the word go with it");
  editor.home();
  assertEquals(shown(editor), "|one ");
  editor.end();
  editor.insert("日本 語");
  editor.left();
  editor.left();
  editor.killEnd();
  assertEquals(shown(editor), "one 日本|");
  editor.left();
  editor.killStart();
  assertEquals(shown(editor), "|本");
});

Deno.test("LineEditor wordLeft() and wordRight() move over words between spaces", () => {
  const editor = editing("say hello  to 👩‍👩‍👧 now");
  editor.wordLeft();
  assertEquals(shown(editor), "say hello  to 👩‍👩‍👧 |now");
  editor.wordLeft();
  assertEquals(shown(editor), `say hello  to |${FAMILY} now`);
  editor.wordLeft();
  editor.wordLeft();
  assertEquals(shown(editor), "say |hello  to 👩‍👩‍👧 now");
  editor.wordRight();
  assertEquals(shown(editor), "say hello|  to 👩‍👩‍👧 now");
});

Deno.test("LineEditor older() and newer() recall the lines remembered, and the draft", () => {
  const editor = new LineEditor();
  for (const line of ["first", "second", "second", "  "]) {
    editor.insert(line);
    editor.remember(editor.take());
  }
  assertEquals(editor.history, ["first", "second"], "no repeat, nothing blank");
  editor.insert("draft");
  assert(editor.older());
  assertEquals(shown(editor), "second|");
  assert(editor.older());
  assertEquals(shown(editor), "first|");
  assert(!editor.older(), "nothing older");
  assert(editor.newer());
  assertEquals(shown(editor), "second|");
  assert(editor.newer());
  assertEquals(shown(editor), "draft|", "back to what was being typed");
  assert(!editor.newer());
  assertEquals(editor.take(), "draft");
  assertEquals(shown(editor), "|");
});

Deno.test("LineEditor remembers at most HISTORY_LIMIT lines, dropping the oldest", () => {
  const editor = new LineEditor();
  for (let i = 0; i <= HISTORY_LIMIT; i++) editor.remember(`line ${i}`);
  assertEquals(editor.history.length, HISTORY_LIMIT);
  assertEquals(editor.history[0], "line 1");
});

Deno.test("LineEditor holds at most MAX_INPUT_LENGTH code units, never half a surrogate pair", () => {
  const editor = editing("x".repeat(MAX_INPUT_LENGTH - 1));
  editor.insert("🙂🙂");
  assertEquals(editor.text.length, MAX_INPUT_LENGTH - 1, "the emoji does not fit in one unit");
  editor.insert("ab");
  assertEquals(editor.text.length, MAX_INPUT_LENGTH);
  assert(editor.text.endsWith("xa"));
});

Deno.test("LineEditor replaceBefore() replaces the word before the cursor (a completion)", () => {
  const editor = editing("/msg AL tail");
  for (let i = 0; i < 5; i++) editor.left();
  editor.replaceBefore(2, "alice ");
  assertEquals(shown(editor), "/msg alice | tail");
});

Deno.test("LineEditor keeps the cursor between graphemes whatever is done", () => {
  const chars = fc.constantFrom(
    "a",
    " ",
    "日",
    "e",
    "\u0301",
    "👩",
    "\u200d",
    "👧",
    "🇫",
    "🇷",
    "\x07",
  );
  const ops = fc.constantFrom(
    "backspace",
    "deleteForward",
    "left",
    "right",
    "wordLeft",
    "wordRight",
    "home",
    "end",
    "killStart",
    "killEnd",
    "killWordBack",
  ) as fc.Arbitrary<keyof LineEditor>;
  const step = fc.oneof(
    fc.array(chars, { minLength: 1, maxLength: 4 }).map((c) => c.join("")),
    ops,
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
      const editor = new LineEditor();
      for (const s of steps) {
        if (s in editor && typeof editor[s as keyof LineEditor] === "function") {
          (editor[s as keyof LineEditor] as () => void)();
        } else {
          editor.insert(s);
        }
        const starts = [...graphemes.segment(editor.text)].map((g) => g.index);
        assert(
          editor.cursor === editor.text.length || starts.includes(editor.cursor),
          `cursor ${editor.cursor} inside a grapheme of ${JSON.stringify(editor.text)}`,
        );
      }
    }),
  );
});
