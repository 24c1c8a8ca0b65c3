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
 * - the bidirectional embeddings, overrides and isolates (U+202A to U+202E,
 *   U+2066 to U+2069), the directional marks (U+200E, U+200F, U+061C) and the
 *   line and paragraph separators (U+2028, U+2029) become `\u{NNNN}`.
 *
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

// One pass, one regular expression: every character a terminal could act on.
const UNSAFE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escape(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u{${code.toString(16).padStart(4, "0")}}`;
}

/** `text` with every control and bidirectional formatting character shown as an escape. */
export function safeText(text: string): string {
  return text.replace(UNSAFE, escape);
}
