/**
 * What Tab does (pure), as readline did it: the completer's candidates for
 * the word before the cursor (`complete()` in client/core); one candidate,
 * or a longer prefix they all share, goes into the line; otherwise a second
 * Tab lists them, in columns, to be printed above the input.
 *
 * @example
 * ```ts
 * import { LineEditor } from "./line_editor.ts";
 * import { applyCompletion, formatCandidates } from "./tab_completion.ts";
 *
 * const editor = new LineEditor();
 * editor.insert("/ch");
 * applyCompletion(editor, [["/chat", "/chats"], "/ch"], false);
 * console.log(editor.text); // "/chat"
 * const list = applyCompletion(editor, [["/chat", "/chats"], "/chat"], true);
 * console.log(formatCandidates(list!, 40)); // "/chat   /chats"
 * ```
 *
 * @module
 */
import { cellWidth } from "./cell_width.ts";
import type { LineEditor } from "./line_editor.ts";
import { safeText } from "./safe_text.ts";

/** Spaces between listed candidates (readline's two, at least). */
const GAP = 2;

/** The longest prefix every one of `words` starts with. */
function commonPrefix(words: string[]): string {
  if (words.length === 0) return "";
  let prefix = words[0];
  for (const word of words) {
    while (!word.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}

/**
 * Completes the word before `editor`'s cursor with `[candidates, word]`,
 * the completer's answer; `again`: the key before was Tab too. Returns the
 * candidates to list, or null when the line changed or there is nothing to show.
 */
export function applyCompletion(
  editor: LineEditor,
  [candidates, word]: [string[], string],
  again: boolean,
): string[] | null {
  if (candidates.length === 0) return null;
  const prefix = commonPrefix(candidates.filter((c) => c !== ""));
  if (prefix.length > word.length && prefix.startsWith(word)) {
    editor.insert(prefix.slice(word.length));
    return null;
  }
  if (!word.startsWith(prefix)) {
    // Completion ignores case: what all candidates share replaces what was typed.
    editor.replaceBefore(word.length, prefix);
    return null;
  }
  return again ? candidates : null;
}

/** `candidates` in columns that fit `columns` cells (one a row when even one is wider). */
export function formatCandidates(candidates: string[], columns: number): string {
  const shown = candidates.map(safeText);
  const width = Math.max(...shown.map(cellWidth)) + GAP;
  const perRow = Math.max(1, Math.floor((columns + GAP) / width));
  const rows: string[] = [];
  for (let i = 0; i < shown.length; i += perRow) {
    const row = shown.slice(i, i + perRow);
    rows.push(
      row.map((c, j) => j < row.length - 1 ? c + " ".repeat(width - cellWidth(c)) : c).join(""),
    );
  }
  return rows.join("\n");
}
