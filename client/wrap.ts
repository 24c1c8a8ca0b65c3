/**
 * Fitting printed lines to the terminal's width: a terminal breaks a long
 * line wherever the column runs out, mid-word and mid-fingerprint-group;
 * these functions break it between words instead. Widths are the terminal's
 * cells: wide (East Asian, emoji) characters take two, combining marks none,
 * and the SGR colour sequences the interface adds take none. Text from the
 * network has been made safe before (`safe_text.ts`), so SGR is the only
 * escape sequence left to skip.
 *
 * @module
 */

/** SGR sequences (colours, bold, dim) as styleText writes them. */
// deno-lint-ignore no-control-regex -- ESC is what starts the sequences this skips.
const SGR = /\x1b\[[0-9;]*m/g;
/** The same, kept when splitting. */
const SGR_PART = new RegExp(`(${SGR.source})`);
/** A grapheme shown as an emoji: two cells. */
const EMOJI = /\p{Emoji_Presentation}|\p{Emoji}\uFE0F/u;
/** A grapheme of marks and format characters only: no cell of its own. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]+$/u;
/** Code point ranges of East Asian Wide and Fullwidth characters (UAX #11), the common blocks. */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], // Hangul Jamo initials
  [0x2e80, 0x303e], // CJK radicals, Kangxi, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility, CJK compatibility
  [0x3400, 0x4dbf], // CJK Extension A
  [0x4e00, 0x9fff], // CJK Unified Ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo Extended-A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6], // fullwidth signs
  [0x17000, 0x18aff], // Tangut
  [0x1b000, 0x1b2ff], // Kana supplement and extensions, Nushu
  [0x20000, 0x3fffd], // CJK Extensions B and beyond
];

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

function graphemeWidth(grapheme: string): number {
  if (EMOJI.test(grapheme)) return 2;
  if (ZERO_WIDTH.test(grapheme)) return 0;
  const first = grapheme.codePointAt(0)!;
  return WIDE.some(([from, to]) => first >= from && first <= to) ? 2 : 1;
}

/** How many terminal cells `text` (one line) takes. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of graphemes.segment(text.replace(SGR, ""))) {
    width += graphemeWidth(segment);
  }
  return width;
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
      const w = graphemeWidth(segment);
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
