/**
 * Files (issue 23): how the terminal shows transfers. The status rows drawn
 * above the input line, one per transfer under way (`↓ report.pdf 42% 12 MiB/s ETA 0:07`), each fitted to
 * the terminal's width by our own count of cells (pure): the name is cut
 * with `…` first, then the ETA and the rate are dropped, so a row never
 * wraps, at 40 columns or fewer. The rows are redrawn in place with the
 * input block (`input_layout.ts` withStatus), never in the scrollback; and
 * the lines a file's events print.
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
import { styleText } from "node:util";
import type { ClientEvent } from "../core/mod.ts";
import { cellWidth } from "./cell_width.ts";
import {
  fileFailedWords,
  fileOfferWords,
  fileReceivedWords,
  fileSentWords,
  fileStatusWords,
  moreTransfersWords,
  NO_TRANSFERS,
  shortId,
  sizeWords,
  type StatusRow,
} from "./file_words.ts";

/** Most status rows shown above the input; the last one counts the rest. */
export const MAX_STATUS_ROWS = 6;

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

/** The status rows of the transfers under way, kept in step with their events. */
export class TransferRows {
  readonly #rows = new Map<string, StatusRow>();

  /** Takes `e` (made safe already); true when it is shown by the rows alone (progress). */
  track(e: ClientEvent): boolean {
    if (e.type === "file-progress") {
      this.#rows.set(e.id, e);
      return true;
    }
    if (e.type === "file-received" || e.type === "file-sent" || e.type === "file-failed") {
      this.#rows.delete(e.id);
    }
    return false;
  }

  /** One row per transfer under way (at most MAX_STATUS_ROWS), fitted to `columns`. */
  rows(columns: number): string[] {
    const rows = [...this.#rows.values()];
    if (rows.length <= MAX_STATUS_ROWS) return rows.map((row) => statusRow(row, columns));
    const shown = rows.slice(0, MAX_STATUS_ROWS - 1).map((row) => statusRow(row, columns));
    return [...shown, fit(`  ${moreTransfersWords(rows.length - shown.length)}`, columns)];
  }
}

/** A style the terminal may draw a line in. */
export type Style = Parameters<typeof styleText>[0];
/** The events of file transfers. */
export type FileEventType =
  | "file-offer"
  | "file-progress"
  | "file-received"
  | "file-sent"
  | "file-failed"
  | "files";

/** A file event as the terminal prints it, and whether to stderr; null for progress (the rows show it). */
export function renderFileEvent(
  e: Extract<ClientEvent, { type: FileEventType }>,
  style: (style: Style, text: string) => string,
): [text: string, toStderr: boolean] | null {
  switch (e.type) {
    case "file-offer":
      return [e.direction === "out" ? fileOfferWords(e) : style("bold", fileOfferWords(e)), false];
    case "file-progress":
      return null;
    case "file-received":
      return [style("green", fileReceivedWords(e)), false];
    case "file-sent":
      return [style("green", `  ✓ ${fileSentWords(e)}`), false];
    case "file-failed":
      return [style("yellow", fileFailedWords(e)), true];
    case "files": {
      if (e.transfers.length === 0) return [NO_TRANSFERS, false];
      const percent = (t: { size: number; bytes: number }) =>
        t.size === 0 ? 100 : Math.floor((t.bytes * 100) / t.size);
      return [
        e.transfers.map((t) =>
          `  ${t.direction === "in" ? "↓" : "↑"} ${shortId(t.id)} ${t.peer}  ${t.name}  ${
            sizeWords(t.size)
          }  ${t.state}${
            t.state === "sending" || t.state === "receiving"
              ? ` ${percent(t)}%`
              : t.reason
              ? ` (${t.reason})`
              : ""
          }`
        ).join("\n"),
        false,
      ];
    }
  }
}
