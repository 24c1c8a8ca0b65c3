/**
 * How many terminal cells text takes, counted so that our count is never
 * below a terminal's (docs/cli.md, "Widths"): where terminals disagree, the
 * larger count wins, because a row we think fits but the terminal draws
 * wider overflows, and the overflow starts a row at column 0.
 *
 * - East Asian Wide and Fullwidth characters take two cells, from the
 *   Unicode 17.0 East Asian Width data of `get-east-asian-width` (a
 *   maintained package that tracks each Unicode release), and so do emoji
 *   shown as emoji (Emoji_Presentation, or an emoji followed by U+FE0F) and
 *   private-use characters (fonts draw them either way).
 * - Code points are counted one by one, as most terminals place them: a
 *   joined emoji (👩‍👩‍👧) counts 6, what tmux draws; terminals that draw it
 *   as one glyph use fewer cells, never more.
 * - Combining marks (Mn, Me), ZWJ and ZWNJ take none: they join the
 *   character before them. Other format characters, unassigned code points
 *   and lone surrogates are made visible before anything is shown
 *   (`safe_text.ts`); here they count two cells, the most any terminal draws.
 * - Ambiguous-width characters (Cyrillic, Greek, box drawing) take one, as
 *   terminals in every locale but a CJK one draw them.
 *
 * @example
 * ```ts
 * import { cellWidth } from "./cell_width.ts";
 *
 * console.log(cellWidth("héllo")); // 5
 * console.log(cellWidth("日本")); // 4
 * console.log(cellWidth("\u{1f210}\u2329")); // 4
 * ```
 *
 * @module
 */
import { eastAsianWidth } from "get-east-asian-width";

/** Marks that join the character before them: no cell of their own. */
const JOINING = /^[\p{Mn}\p{Me}\u200c\u200d]$/u;
/** Characters terminals draw at widths they disagree on: counted at the most. */
const UNSETTLED = /^[\p{Cf}\p{Cn}\p{Cs}\p{Co}]$/u;
/** Emoji drawn as emoji by default. */
const EMOJI_PRESENTATION = /^\p{Emoji_Presentation}$/u;
/** Emoji that U+FE0F turns into their emoji (two-cell) form. */
const EMOJI = /^\p{Emoji}$/u;
const VS16 = 0xfe0f;

/** Cells one code point takes on its own (see the module comment). */
export function codePointWidth(codePoint: number): 0 | 1 | 2 {
  if (codePoint >= 0x20 && codePoint < 0x7f) return 1;
  const char = String.fromCodePoint(codePoint);
  if (JOINING.test(char)) return 0;
  if (UNSETTLED.test(char) || EMOJI_PRESENTATION.test(char)) return 2;
  return eastAsianWidth(codePoint) === 2 ? 2 : 1;
}

/** How many cells `text` (one line, no escape sequences) takes in a terminal. */
export function cellWidth(text: string): number {
  let width = 0;
  let previous = "";
  let previousWidth = 0;
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    let w: number = codePointWidth(codePoint);
    // U+FE0F asks for the emoji form of what precedes it: two cells in all.
    if (codePoint === VS16 && previousWidth === 1 && EMOJI.test(previous)) w = 1;
    width += w;
    previous = char;
    previousWidth = w;
  }
  return width;
}
