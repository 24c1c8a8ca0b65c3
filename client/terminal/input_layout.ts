/**
 * The input block (the prompt and the line being typed) laid out in rows
 * for a terminal of a given width (pure). Rows are fitted by our own count
 * of cells (`cell_width.ts`, never below what the terminal draws) and
 * printed as rows of their own, so the terminal never wraps them: a row it
 * draws narrower than we count is only a little short, never one row more
 * than we know of. A grapheme that does not fit in what is left of a row
 * starts the next one (a joined emoji is not split, nor a wide character
 * cut at the last column); when the text fills its last row exactly, an
 * empty row follows, where the cursor waits for the next character.
 *
 * What is typed is shown safely (`safe_text.ts`): a control or format
 * character appears as its escape (`\x07`, `\u{202e}`), and so does a
 * combining mark with nothing to combine with; the line itself keeps what
 * was typed.
 *
 * @example
 * ```ts
 * import { layoutInput } from "./input_layout.ts";
 *
 * const layout = layoutInput("> ", "日本語", 3, 6);
 * console.log(layout.rows); // ["> 日本", "語"]
 * console.log(layout.cursor); // { row: 1, column: 2 }
 * ```
 *
 * @module
 */
import { cellWidth, codePointWidth } from "./cell_width.ts";
import { safeText } from "./safe_text.ts";

/** The input block as rows, with where the cursor goes. */
export type InputLayout = {
  /** The width laid out for, in cells. */
  readonly columns: number;
  /** The rows as printed, each at most `columns` cells. */
  readonly rows: readonly string[];
  /** The cells of each row's pieces in order: how a terminal re-wraps the row. */
  readonly widths: readonly (readonly number[])[];
  /** The cursor: its row in the block and its column, both from 0. */
  readonly cursor: { readonly row: number; readonly column: number };
};

/** Shown for a character wider than the whole row (a wide one, one cell wide). */
const TOO_WIDE = "?";

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** One thing printed: a grapheme as shown, or part of one too wide for a row. */
type Piece = { shown: string; width: number };

/** How `grapheme` is shown: safe, and never zero cells (a mark on its own shows its escape). */
function shown(grapheme: string): string {
  const safe = safeText(grapheme);
  if (cellWidth(safe) > 0) return safe;
  return [...safe].map((c) => `\\u{${c.codePointAt(0)!.toString(16).padStart(4, "0")}}`).join("");
}

/**
 * `text` (as shown) in pieces of at most `columns` cells: whole when it fits,
 * else code point by code point (joiners and marks with the one before).
 */
function pieces(text: string, columns: number): Piece[] {
  const width = cellWidth(text);
  if (width <= columns) return [{ shown: text, width }];
  const parts: Piece[] = [];
  for (const char of text) {
    const last = parts.at(-1);
    const piece = last && codePointWidth(char.codePointAt(0)!) === 0
      ? parts.pop()!
      : { shown: "", width: 0 };
    piece.shown += char;
    piece.width = cellWidth(piece.shown);
    parts.push(piece.width > columns ? { shown: TOO_WIDE, width: 1 } : piece);
  }
  return parts;
}

/**
 * Lays out `prompt` then `text` in rows of `columns` cells, with the cursor
 * before the grapheme that starts at UTF-16 index `cursor` of `text` (or
 * after the text).
 */
export function layoutInput(
  prompt: string,
  text: string,
  cursor: number,
  columns: number,
): InputLayout {
  if (!(columns >= 1)) throw new RangeError(`A terminal is at least one column wide: ${columns}`);
  const rows = [""];
  const widths: number[][] = [[]];
  let column = 0;
  let at: { row: number; column: number } | undefined;
  const place = (piece: Piece): void => {
    if (column + piece.width > columns && column > 0) {
      rows.push("");
      widths.push([]);
      column = 0;
    }
    rows[rows.length - 1] += piece.shown;
    widths[widths.length - 1].push(piece.width);
    column += piece.width;
  };
  for (const { segment } of graphemes.segment(prompt)) {
    pieces(shown(segment), columns).forEach(place);
  }
  for (const { segment, index } of graphemes.segment(text)) {
    const parts = pieces(shown(segment), columns);
    if (index >= cursor && at === undefined) {
      // The cursor goes where the grapheme is drawn: on the next row when it does not fit here.
      if (column + parts[0].width > columns) at = { row: rows.length, column: 0 };
      else at = { row: rows.length - 1, column };
    }
    parts.forEach(place);
  }
  if (column >= columns) {
    rows.push("");
    widths.push([]);
    column = 0;
  }
  return { columns, rows, widths, cursor: at ?? { row: rows.length - 1, column } };
}

/** How many rows a row of pieces `widths` takes once a terminal `columns` wide re-wraps it. */
function rewrapped(widths: readonly number[], columns: number): number[] {
  // The row each piece lands on, as a terminal fills rows: a piece that does not fit moves on.
  const rowOf: number[] = [];
  let row = 0;
  let column = 0;
  for (const width of widths) {
    if (column + width > columns && column > 0) {
      row++;
      column = 0;
    }
    rowOf.push(row);
    column += width;
  }
  return rowOf;
}

/**
 * How many rows below the block's first the cursor is once the terminal,
 * resized to `columns`, has re-wrapped the rows of `layout` (as tmux, VTE,
 * kitty and iTerm2 do; they keep the cursor with the cell it was on, or,
 * after a row's last cell, on that cell's row).
 */
export function cursorRowAfterResize(layout: InputLayout, columns: number): number {
  if (!(columns >= 1)) throw new RangeError(`A terminal is at least one column wide: ${columns}`);
  let above = 0;
  for (let row = 0; row < layout.cursor.row; row++) {
    above += (rewrapped(layout.widths[row], columns).at(-1) ?? 0) + 1;
  }
  const widths = layout.widths[layout.cursor.row];
  const rowOf = rewrapped(widths, columns);
  let cells = 0;
  for (const [i, width] of widths.entries()) {
    if (cells >= layout.cursor.column) return above + rowOf[i];
    cells += width;
  }
  return above + (rowOf.at(-1) ?? 0);
}

// Files (issue 23):
/**
 * `layout` with `status` rows above it (each fitted to the width already,
 * status_rows.ts): one block, erased and redrawn as one, the cursor still in
 * the input.
 */
export function withStatus(layout: InputLayout, status: readonly string[]): InputLayout {
  if (status.length === 0) return layout;
  const cells = (row: string): number[] =>
    [...graphemes.segment(row)].map(({ segment }) => cellWidth(segment));
  return {
    columns: layout.columns,
    rows: [...status, ...layout.rows],
    widths: [...status.map(cells), ...layout.widths],
    cursor: { row: layout.cursor.row + status.length, column: layout.cursor.column },
  };
}
