/**
 * Fitting printed lines to the terminal's width: a terminal breaks a long
 * line wherever the column runs out, mid-word and mid-fingerprint-group;
 * these functions break it between words instead, and never inside a
 * grapheme. Widths are the terminal's cells as `cell_width.ts` counts them
 * (never fewer than the terminal draws); the SGR colour sequences the
 * interface adds take none. Text from the network has been made safe before
 * (`safe_text.ts`), so SGR is the only escape sequence left to skip.
 *
 * @module
 */
import { cellWidth } from "./cell_width.ts";

/** SGR sequences (colours, bold, dim) as styleText writes them. */
// deno-lint-ignore no-control-regex -- ESC is what starts the sequences this skips.
const SGR = /\x1b\[[0-9;]*m/g;
/** The same, kept when splitting. */
const SGR_PART = new RegExp(`(${SGR.source})`);
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** How many terminal cells `text` (one line, perhaps with SGR colours) takes. */
export function displayWidth(text: string): number {
  return cellWidth(text.replace(SGR, ""));
}

/**
 * `word` cut into pieces: the first of at most `first` cells, the others of at
 * most `rest` (SGR sequences kept whole, with no width).
 */
function splitWord(word: string, first: number, rest: number): string[] {
  const pieces: string[] = [];
  let piece = "";
  let width = 0;
  let columns = first;
  // Escape sequences and graphemes in order: a sequence is never cut.
  for (const part of word.split(SGR_PART)) {
    if (part.startsWith("\x1b[")) {
      piece += part;
      continue;
    }
    for (const { segment } of graphemes.segment(part)) {
      const w = cellWidth(segment);
      if (width + w > columns && width > 0) {
        pieces.push(piece);
        piece = "";
        width = 0;
        columns = rest;
      }
      piece += segment;
      width += w;
    }
  }
  pieces.push(piece);
  return pieces;
}

/** What starts every row a line continues on: a row of its own never starts with it. */
export const CONTINUATION = "  ";

/**
 * `text` with each of its lines broken between words so that no row is wider
 * than `columns` cells; a word wider than a row is cut where the row ends.
 * Rows that continue a line are indented, so that text from the network
 * cannot start a row that looks like a line of its own: by `hang` cells when
 * given (a message's text column, so its rows stand apart from every other
 * kind of line) and it leaves at least two thirds of the row, else by the
 * line's own indent plus CONTINUATION. Spaces at a break are dropped; other
 * spacing is kept.
 */
export function wrapText(text: string, columns: number, hang?: number): string {
  if (!(columns >= 1)) return text; // Width unknown.
  return text.split("\n").map((line) => {
    if (displayWidth(line) <= columns) return line;
    const indent = hang !== undefined && hang * 3 <= columns
      ? " ".repeat(hang)
      : line.match(/^ */)![0] + CONTINUATION;
    // Too narrow to indent and still show something: cut where the rows end.
    if (!(columns > 2 * indent.length)) return splitWord(line, columns, columns).join("\n");
    const rows: string[] = [];
    let row: string | undefined;
    let width = 0;
    for (const word of line.split(" ")) {
      const w = displayWidth(word);
      if (row !== undefined && width + 1 + w <= columns) {
        row += " " + word;
        width += 1 + w;
        continue;
      }
      if (row !== undefined) {
        if (word === "") continue; // A space where the row breaks: the break stands for it.
        rows.push(row);
      }
      const first = row === undefined;
      const pieces = w > columns - (first ? 0 : indent.length)
        ? splitWord(word, columns - (first ? 0 : indent.length), columns - indent.length)
        : [word];
      pieces.forEach((piece, i) => {
        const text = first && i === 0 ? piece : indent + piece;
        if (i < pieces.length - 1) rows.push(text);
        else row = text;
      });
      width = displayWidth(row!);
    }
    rows.push(row ?? "");
    return rows.join("\n");
  }).join("\n");
}
