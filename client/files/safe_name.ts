/**
 * The name a received file is saved under (docs/protocol.md §14.4). The
 * sender chooses the name, so it is hostile input: it is reduced to a plain
 * base name that cannot leave the downloads directory, hide or disguise
 * itself, or mean a device on any system the directory might be copied to.
 *
 * - Path separators (`/`, `\`) and the characters Windows forbids in names
 *   (`: * ? " < > |`) become `_`; so do control, format (bidirectional
 *   overrides, zero-width characters), unassigned and separator characters,
 *   and lone surrogates. What is left is NFC-normalised.
 * - No leading `.` (hidden files, `..`) or `-` (read as an option by other
 *   tools), no leading spaces, no trailing dots or spaces (Windows drops
 *   them, so `a.exe.` would become `a.exe`).
 * - Names Windows reserves for devices (`CON`, `NUL`, `COM1`, `LPT9`, …,
 *   with any extension) get a `_` in front.
 * - At most 255 bytes of UTF-8 (the common file-system limit), cut between
 *   graphemes, keeping the extension.
 * - An empty result is `file`.
 *
 * @example
 * ```ts
 * import { safeFileName } from "./safe_name.ts";
 *
 * console.log(safeFileName("../../.ssh/authorized_keys")); // "_.._.ssh_authorized_keys"
 * console.log(safeFileName("CON.txt")); // "_CON.txt"
 * console.log(safeFileName("report\u202egnp.exe")); // "report_gnp.exe"
 * ```
 *
 * @module
 */

/** The longest saved name, in bytes of UTF-8. */
export const MAX_NAME_BYTES = 255;
/** What a name that is empty once made safe is saved as. */
export const FALLBACK_NAME = "file";
/** How many `name (n).ext` variants are tried before giving up on a free name. */
export const MAX_NAME_TRIES = 1000;

/** The longest extension kept whole when a name is cut, in UTF-16 code units (with its dot). */
const MAX_EXTENSION = 16;

const UNSAFE = /[\/\\:*?"<>|]|[\p{Cc}\p{Cf}\p{Cn}\p{Cs}\p{Zl}\p{Zp}]/gu;
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\.|$)/i;
const encoder = new TextEncoder();
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** `text` cut to at most `bytes` bytes of UTF-8, between graphemes. */
function cutToBytes(text: string, bytes: number): string {
  let out = "";
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = encoder.encode(segment).length;
    if (used + size > bytes) break;
    out += segment;
    used += size;
  }
  return out;
}

/** The safe base name for a file a peer calls `offered` (see the module comment). */
export function safeFileName(offered: string): string {
  const trim = (text: string): string => text.replace(/^[.\- ]+/, "").replace(/[. ]+$/, "");
  let name = trim(offered.normalize("NFC").replace(UNSAFE, "_"));
  // One byte kept back for the `_` a reserved name gets.
  const room = MAX_NAME_BYTES - 1;
  if (encoder.encode(name).length > room) {
    const dot = name.lastIndexOf(".");
    const extension = dot > 0 && name.length - dot <= MAX_EXTENSION ? name.slice(dot) : "";
    const stem = name.slice(0, name.length - extension.length);
    name = trim(cutToBytes(stem, room - encoder.encode(extension).length) + extension);
  }
  if (RESERVED.test(name)) name = `_${name}`;
  return name === "" ? FALLBACK_NAME : name;
}

/**
 * The `n`-th alternative to `name` when it is taken: `report (1).pdf`,
 * `report (2).pdf`, … (still within MAX_NAME_BYTES).
 */
export function numberedName(name: string, n: number): string {
  return numbered(name, n, 0);
}

/** What a part file ends in. */
export const PART_SUFFIX = ".part";

/**
 * The name of the part a file saved as `name` is received into (its `n`-th
 * alternative when taken): `report.pdf.part`, `report (1).pdf.part`, …,
 * cut so that the whole stays within MAX_NAME_BYTES.
 */
export function partFileName(name: string, n: number): string {
  return numbered(name, n, PART_SUFFIX.length) + PART_SUFFIX;
}

/** `name` numbered `n` (0: as it is), cut to leave `reserve` bytes of MAX_NAME_BYTES. */
function numbered(name: string, n: number, reserve: number): string {
  const dot = name.lastIndexOf(".");
  // A long "extension" is part of the name: cutting it would leave no name at all.
  const [stem, extension] = dot > 0 && name.length - dot <= MAX_EXTENSION
    ? [name.slice(0, dot), name.slice(dot)]
    : [name, ""];
  const suffix = `${n === 0 ? "" : ` (${n})`}${extension}`;
  const room = MAX_NAME_BYTES - reserve - encoder.encode(suffix).length;
  if (n === 0 && encoder.encode(name).length <= MAX_NAME_BYTES - reserve) return name;
  return cutToBytes(stem, room) + suffix;
}
