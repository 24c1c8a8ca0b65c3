/**
 * Files (issue 23): every sentence a person reads about a file transfer,
 * made from an event's codes and data, beside words.ts (which words the
 * notices and errors, with the sizes and ids from here): offers, arrivals,
 * failures with what to do, and the parts of a status row.
 *
 * @module
 */
import type { ClientEvent } from "../core/mod.ts";

/** How many hex digits of a transfer id people see (a unique prefix is enough to type). */
const SHOWN_ID = 8;

/** A transfer's id as shown: its first digits. */
export function shortId(id: string): string {
  return id.slice(0, SHOWN_ID);
}

const SIZE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** `bytes` in human units: `512 B`, `1.2 MiB`, `4.0 GiB`. */
export function sizeWords(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0
    ? `${bytes} B`
    : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${SIZE_UNITS[unit]}`;
}

/** A duration in seconds as `0:07`, `12:34` or `1:02:03`. */
export function etaWords(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const two = (n: number): string => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/** One of the file events. */
export type FileEvent<T extends string> = Extract<ClientEvent, { type: T }>;

/** An offer, as the receiver reads it (the name is made safe by the interface). */
export function fileOfferWords(e: FileEvent<"file-offer">): string {
  const what = `${e.name} (${sizeWords(e.size)}, sha256 ${e.sha256.slice(0, 16)})`;
  if (e.direction === "out") return `Offered ${what} to ${e.peer}; waiting for them to accept`;
  if (e.resuming) return `${e.peer} offers ${what} again`;
  const id = shortId(e.id);
  return `${e.peer} offers ${what}: /accept-file ${id} or /decline-file ${id}`;
}

/** A file received. */
export function fileReceivedWords(e: FileEvent<"file-received">): string {
  return `Received ${e.name} from ${e.peer} (${sizeWords(e.size)}, SHA-256 checked${
    e.resumed_bytes > 0 ? `, ${sizeWords(e.resumed_bytes)} kept from before` : ""
  }): ${e.path}`;
}

/** A file sent. */
export function fileSentWords(e: FileEvent<"file-sent">): string {
  return `${e.peer} received ${e.name} (${sizeWords(e.size)}, SHA-256 checked${
    e.resumed_bytes > 0 ? `, ${sizeWords(e.resumed_bytes)} kept from before` : ""
  })`;
}

/** Why a transfer stopped, and what to do: the `message` of `file-failed`. */
export function fileFailedWords(e: FileEvent<"file-failed">): string {
  const what = e.direction === "in" ? `${e.name} from ${e.peer}` : `${e.name} to ${e.peer}`;
  const again = e.resumable
    ? e.direction === "out"
      ? `; /send it again to resume`
      : `; the part is kept, and it resumes when ${e.peer} sends it again`
    : "";
  switch (e.reason) {
    case "declined":
      return e.by === "you" ? `You declined ${what}` : `${e.peer} declined ${e.name}`;
    case "cancelled":
      return `${e.by === "you" ? "You" : e.peer} cancelled ${what}${again}`;
    case "too-large":
      return e.direction === "in"
        ? `Refused ${what}: it is ${sizeWords(e.size ?? 0)}, more than --max-file-size ${
          sizeWords(e.max ?? 0)
        }`
        : `${e.peer} takes files of at most ${sizeWords(e.max ?? 0)}; ${e.name} is ${
          sizeWords(e.size ?? 0)
        }`;
    case "busy":
      return e.direction === "in"
        ? `Refused ${what}: 4 transfers from ${e.peer} are under way already`
        : `${e.peer} has too many transfers under way; send ${e.name} again later`;
    case "corrupt":
      return e.direction === "in"
        ? `${what} did not match what was offered (${
          e.detail ?? "a check failed"
        }); nothing was saved`
        : `${e.peer} found ${e.name} did not match what was offered; nothing was saved there`;
    case "no-space":
      return e.direction === "in"
        ? `The disk is full: ${what} stopped; the part is kept, free some space and ask ${e.peer} to send it again`
        : `${e.peer}'s disk is full; ${e.name} stopped there${again}`;
    case "unwritable":
      return e.direction === "in"
        ? `Cannot write ${what} in the downloads directory; the part is kept${again}`
        : `${e.peer} cannot write ${e.name}${again}`;
    case "changed":
      return `${
        e.direction === "out" ? e.name : what
      } changed while it was sent; nothing was saved${
        e.direction === "out" ? ` at ${e.peer}'s` : ""
      }: send it again once it no longer changes`;
    case "unreadable":
      return e.direction === "out"
        ? `Cannot read ${e.name} any more; the transfer to ${e.peer} stopped`
        : `${e.peer} could not read ${e.name} any more; the transfer stopped`;
    case "connection-lost":
      return `The chat with ${e.peer} ended during ${what}${again}`;
    case "offline":
      return `${e.peer} is not online: files are not left at the directory; send it when they are`;
    case "relay-budget":
      return `${e.name} (${
        sizeWords(e.size ?? 0)
      }) does not fit in what the directory's relay still carries for this chat (${
        sizeWords(e.left ?? 0)
      }); send it again once the chat is direct`;
  }
}

/** One transfer's progress, as the status row shows it. */
export type StatusRow = {
  readonly direction: "in" | "out";
  readonly name: string;
  readonly bytes: number;
  readonly size: number;
  readonly rate: number;
};

/** The parts of a status row (the interface fits them to the width): arrow, name, figures. */
export function fileStatusWords(
  row: StatusRow,
): { arrow: string; name: string; percent: string; rate: string; eta: string } {
  const percent = row.size === 0 ? 100 : Math.floor((row.bytes * 100) / row.size);
  return {
    arrow: row.direction === "in" ? "↓" : "↑",
    name: row.name,
    percent: `${percent}%`,
    rate: row.rate > 0 ? `${sizeWords(row.rate)}/s` : "",
    eta: row.rate > 0 ? `ETA ${etaWords((row.size - row.bytes) / row.rate)}` : "",
  };
}

/** `/files` with nothing to list. */
export const NO_TRANSFERS = "No transfers in this session.";

/** The last status row when more transfers are under way than rows are shown. */
export function moreTransfersWords(count: number): string {
  return `… ${count} more transfers: /files`;
}
