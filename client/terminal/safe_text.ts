/**
 * Text from the network made safe for a terminal (docs/protocol.md §7): a
 * peer or a directory can put anything in a message, a name, a reason or an
 * error, and a terminal obeys control characters. Everything such a value
 * could use to move the cursor, erase or forge a line, retitle the window or
 * reorder what is shown is replaced by a visible escape:
 *
 * - C0 controls (U+0000 to U+001F, newline and tab included), DEL (U+007F)
 *   and C1 controls (U+0080 to U+009F) become `\xNN`, so ESC sequences and
 *   CSI/OSC introducers cannot start;
 * - format characters (Cf) but ZWJ and ZWNJ become `\u{NNNN}`: the
 *   bidirectional embeddings, overrides, isolates and marks, which reorder
 *   what is shown, and the ones terminals draw at widths they disagree on
 *   (soft hyphen, zero-width space, U+FEFF, prepended concatenation marks
 *   such as U+0600, tags), which would make a row wider than we count it;
 * - so do unassigned code points (their width is anyone's guess), lone
 *   surrogates and the line and paragraph separators (U+2028, U+2029).
 *
 * ZWJ and ZWNJ stay: emoji sequences and several scripts need them, and
 * every terminal gives them no cell. Combining marks stay too.
 * `--json` carries the exact text; only the terminal interface uses this.
 *
 * @example
 * ```ts
 * import { safeText } from "./safe_text.ts";
 *
 * console.log(safeText("hi\x1b[2J\u202eevil")); // hi\x1b[2J\u{202e}evil
 * ```
 *
 * @module
 */

// One pass, one regular expression: every character a terminal could act on or mismeasure.
const UNSAFE = /[[\p{Cc}\p{Cf}\p{Cs}\p{Cn}\p{Zl}\p{Zp}]--[\u200c\u200d]]/gv;

function escape(char: string): string {
  const code = char.codePointAt(0)!;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u{${code.toString(16).padStart(4, "0")}}`;
}

/** `text` with every control, format, unassigned or separator character shown as an escape. */
export function safeText(text: string): string {
  return text.replace(UNSAFE, escape);
}
