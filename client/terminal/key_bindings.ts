/**
 * What each key does to the line being typed (pure): an edit, or an action
 * for the terminal to carry out (send the line, end the input, interrupt,
 * complete, clear the screen, suspend). Ctrl-D deletes the grapheme at the
 * cursor, and ends the input only on an empty line, as in readline and bash.
 *
 * @example
 * ```ts
 * import { applyKey } from "./key_bindings.ts";
 * import { LineEditor } from "./line_editor.ts";
 *
 * const editor = new LineEditor();
 * applyKey(editor, { kind: "text", text: "hello" });
 * console.log(applyKey(editor, { kind: "enter" })); // { kind: "submit", line: "hello" }
 * ```
 *
 * @module
 */
import type { Key } from "./keys.ts";
import type { LineEditor } from "./line_editor.ts";

/** What the terminal does after a key. */
export type KeyAction =
  /** The line changed (or may have): redraw it. */
  | { kind: "edited" }
  /** Enter: `line` was entered. */
  | { kind: "submit"; line: string }
  /** Ctrl-D on an empty line: no more input. */
  | { kind: "end" }
  /** Ctrl-C. */
  | { kind: "interrupt" }
  /** Tab: complete the word before the cursor. */
  | { kind: "complete" }
  /** Ctrl-L: clear the screen, then draw the input at the top. */
  | { kind: "clear-screen" }
  /** Ctrl-Z: stop, as a shell's job control does. */
  | { kind: "suspend" };

const EDITED: KeyAction = { kind: "edited" };

/** Applies `key` to `editor`; returns what else the terminal has to do. */
export function applyKey(editor: LineEditor, key: Key): KeyAction {
  switch (key.kind) {
    case "text":
      editor.insert(key.text);
      return EDITED;
    case "enter":
      return { kind: "submit", line: editor.take() };
    case "eof":
      if (editor.text === "") return { kind: "end" };
      editor.deleteForward();
      return EDITED;
    case "interrupt":
      return { kind: "interrupt" };
    case "tab":
      return { kind: "complete" };
    case "redraw":
      return { kind: "clear-screen" };
    case "suspend":
      return { kind: "suspend" };
    case "backspace":
      editor.backspace();
      return EDITED;
    case "delete":
      editor.deleteForward();
      return EDITED;
    case "left":
      editor.left();
      return EDITED;
    case "right":
      editor.right();
      return EDITED;
    case "wordLeft":
      editor.wordLeft();
      return EDITED;
    case "wordRight":
      editor.wordRight();
      return EDITED;
    case "home":
      editor.home();
      return EDITED;
    case "end":
      editor.end();
      return EDITED;
    case "up":
      editor.older();
      return EDITED;
    case "down":
      editor.newer();
      return EDITED;
    case "killStart":
      editor.killStart();
      return EDITED;
    case "killEnd":
      editor.killEnd();
      return EDITED;
    case "killWordBack":
      editor.killWordBack();
      return EDITED;
  }
}
