/**
 * Files (issue 23): the status rows drawn above the input line, one per
 * transfer under way (`↓ report.pdf 42% 12 MiB/s ETA 0:07`), each fitted to
 * the terminal's width by our own count of cells (pure): the name is cut
 * with `…` first, then the ETA and the rate are dropped, so a row never
 * wraps, at 40 columns or fewer. The rows are redrawn in place with the
 * input block (`input_layout.ts` withStatus), never in the scrollback.
 *
 * @example
 * ```ts
 * import { statusRow } from "./status_rows.ts";
 *
 * const row = { direction: "in" as const, name: "a-rather-long-file-name.tar.gz", bytes: 42, size: 100, rate: 2048 };
 * console.log(statusRow(row, 40)); // "↓ a-rather-long-file-name… 42% 2.0 KiB/s"
 * ```
 *
 * @module
 */
import { cellWidth } from "./cell_width.ts";
import { fileStatusWords, type StatusRow } from "./words.ts";

/** The fewest cells a name keeps before the figures give way. */
const MIN_NAME_CELLS = 6;
const ELLIPSIS = "…";
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** `text` cut to at most `cells` cells, with `…` when cut. */
function fit(text: string, cells: number): string {
  if (cellWidth(text) <= cells) return text;
  let out = "";
  for (const { segment } of graphemes.segment(text)) {
    if (cellWidth(out + segment) + 1 > cells) break;
    out += segment;
  }
  return cells >= 1 ? out + ELLIPSIS : "";
}

/** One transfer's status row, at most `columns` cells. */
export function statusRow(row: StatusRow, columns: number): string {
  const { arrow, name, percent, rate, eta } = fileStatusWords(row);
  // The ETA goes first, then the rate, while the name would be squeezed below MIN_NAME_CELLS.
  const choices = [[percent, rate, eta], [percent, rate], [percent]]
    .map((figures) => figures.filter(Boolean).join(" "));
  for (const [i, figures] of choices.entries()) {
    const room = columns - cellWidth(arrow) - cellWidth(figures) - 2;
    if (room >= MIN_NAME_CELLS || i === choices.length - 1) {
      return fit(`${arrow} ${fit(name, Math.max(1, room))} ${figures}`, columns);
    }
  }
  return "";
}
