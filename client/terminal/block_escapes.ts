/**
 * The escape sequences that draw the input block in place (pure): erase it
 * from its first row down, draw its rows (each ended by our own CR LF, so
 * the terminal never wraps one), and put the cursor where the layout says.
 * Only relative moves are used: the block may be anywhere on the screen.
 *
 * @example
 * ```ts
 * import { drawBlock, eraseBlock } from "./block_escapes.ts";
 * import { layoutInput } from "./input_layout.ts";
 *
 * const layout = layoutInput("> ", "hello", 2, 80);
 * const bytes = eraseBlock(0) + drawBlock(layout); // "\r\x1b[J> hello\x1b[5G"
 * ```
 *
 * @module
 */
import type { InputLayout } from "./input_layout.ts";

const CSI = "\x1b[";
/** Clears from the cursor to the end of the screen. */
const CLEAR_DOWN = `${CSI}J`;
/** Moves the cursor to the top left and clears the whole screen (Ctrl-L). */
export const CLEAR_SCREEN = `${CSI}H${CSI}2J`;

/** Moves the cursor `rows` rows up (none for 0). */
function up(rows: number): string {
  return rows > 0 ? `${CSI}${rows}A` : "";
}

/**
 * From the cursor, `cursorRow` rows below the block's first, to column 0 of
 * that first row, clearing it and everything below.
 */
export function eraseBlock(cursorRow: number): string {
  return `${up(cursorRow)}\r${CLEAR_DOWN}`;
}

/** Draws `layout` from column 0 of the cursor's row, and leaves the cursor where it goes. */
export function drawBlock(layout: InputLayout): string {
  const { rows, cursor } = layout;
  return `${rows.join("\r\n")}${up(rows.length - 1 - cursor.row)}${CSI}${cursor.column + 1}G`;
}

/**
 * Draws `layout` with the cursor after its text and moves to the start of
 * the row below: an entered line stays on screen as typed.
 */
export function drawEntered(layout: InputLayout): string {
  // A last row left empty for the cursor is already the row below.
  const spare = layout.rows.length > 1 && layout.rows.at(-1) === "";
  return `${layout.rows.join("\r\n")}${spare ? "" : "\r\n"}`;
}
