/**
 * The keys in a terminal's raw input (pure, incremental): bytes go in as
 * they are read, however they are cut (a multi-byte UTF-8 character or an
 * escape sequence split across reads is held until it is whole), and keys
 * come out. Printable text read at once (a paste) comes out as one text key;
 * control characters with no key of their own are text too, so that the
 * editor can show them as escapes and send them as typed. Escape sequences
 * with no meaning here (function keys, bracketed-paste markers) are
 * dropped, never inserted.
 *
 * @example
 * ```ts
 * import { KeyDecoder } from "./keys.ts";
 *
 * const keys = new KeyDecoder();
 * console.log(keys.push(new TextEncoder().encode("hi\x1b[D\r")));
 * // [{ kind: "text", text: "hi" }, { kind: "left" }, { kind: "enter" }]
 * ```
 *
 * @module
 */

/** What a key asks the editor to do. */
export type KeyName =
  | "enter"
  | "backspace"
  | "delete"
  | "left"
  | "right"
  | "wordLeft"
  | "wordRight"
  | "home"
  | "end"
  | "up"
  | "down"
  | "killStart"
  | "killEnd"
  | "killWordBack"
  | "tab"
  | "redraw"
  | "interrupt"
  | "eof"
  | "suspend";

/** One key pressed, or text typed or pasted. */
export type Key = { kind: "text"; text: string } | { kind: KeyName };

const ESC = "\x1b";
/** The longest escape sequence held while waiting for its end; longer ones are dropped. */
export const MAX_ESCAPE_LENGTH = 32;

/** Control characters bound to keys (Emacs-style, as readline binds them). */
const CONTROL_KEYS: Readonly<Record<string, KeyName>> = {
  "\r": "enter",
  "\n": "enter",
  "\x7f": "backspace",
  "\b": "backspace",
  "\x01": "home",
  "\x05": "end",
  "\x02": "left",
  "\x06": "right",
  "\x10": "up",
  "\x0e": "down",
  "\x15": "killStart",
  "\x0b": "killEnd",
  "\x17": "killWordBack",
  "\t": "tab",
  "\x0c": "redraw",
  "\x03": "interrupt",
  "\x04": "eof",
  "\x1a": "suspend",
};

/** CSI sequences (`ESC [` parameters final), by parameters and final byte. */
const CSI_KEYS: Readonly<Record<string, KeyName>> = {
  "A": "up",
  "B": "down",
  "C": "right",
  "D": "left",
  "H": "home",
  "F": "end",
  "1~": "home",
  "7~": "home",
  "4~": "end",
  "8~": "end",
  "3~": "delete",
  // Ctrl and Alt with an arrow: a word at a time.
  "1;5C": "wordRight",
  "1;5D": "wordLeft",
  "1;3C": "wordRight",
  "1;3D": "wordLeft",
};

/** SS3 sequences (`ESC O` final), as terminals in application mode send arrows, Home and End. */
const SS3_KEYS: Readonly<Record<string, KeyName>> = {
  "A": "up",
  "B": "down",
  "C": "right",
  "D": "left",
  "H": "home",
  "F": "end",
};

/** Alt (Meta) with a key: ESC then the key. Alt-Backspace kills a word, as in bash. */
const ALT_KEYS: Readonly<Record<string, KeyName>> = {
  "b": "wordLeft",
  "f": "wordRight",
  "\x7f": "killWordBack",
  "\b": "killWordBack",
};

/** Decodes a terminal's raw input into keys, across reads. */
export class KeyDecoder {
  readonly #utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
  /** An escape sequence begun but not yet whole. */
  #pending = "";
  /** The last character was CR: a LF right after it is the same Enter. */
  #afterCr = false;

  /** Whether an escape sequence waits for the rest of it (or is a lone Esc). */
  get pending(): boolean {
    return this.#pending !== "";
  }

  /** The keys in `bytes`, read after everything pushed before. */
  push(bytes: Uint8Array): Key[] {
    return this.#decode(this.#pending + this.#utf8.decode(bytes, { stream: true }));
  }

  /** Gives up on a held escape sequence (a lone Esc, no sequence followed): it is dropped. */
  flush(): void {
    this.#pending = "";
  }

  #decode(input: string): Key[] {
    this.#pending = "";
    const keys: Key[] = [];
    const key = (kind: KeyName | undefined): void => {
      if (kind) keys.push({ kind });
    };
    let text = "";
    const endText = (): void => {
      if (text) keys.push({ kind: "text", text });
      text = "";
    };
    let i = 0;
    while (i < input.length) {
      const char = input[i];
      const afterCr = this.#afterCr;
      this.#afterCr = char === "\r";
      if (char === ESC) {
        endText();
        const sequence = escapeSequence(input, i);
        if (sequence === null) {
          // Not whole yet: held for the next read, unless it has grown past any real sequence.
          if (input.length - i <= MAX_ESCAPE_LENGTH) this.#pending = input.slice(i);
          break;
        }
        key(sequence.key);
        i += sequence.length;
        continue;
      }
      if (char === "\n" && afterCr) {
        i++;
        continue;
      }
      const bound = CONTROL_KEYS[char];
      if (bound) {
        endText();
        key(bound);
      } else {
        text += char;
      }
      i++;
    }
    endText();
    return keys;
  }
}

/**
 * The escape sequence at `input[at]` (an ESC): its key, if it means one,
 * and its length; null when the input ends before the sequence does.
 */
function escapeSequence(
  input: string,
  at: number,
): { key: KeyName | undefined; length: number } | null {
  const next = input[at + 1];
  if (next === undefined) return null;
  if (next === "[") {
    // CSI: parameter bytes 0x30-0x3f, intermediate bytes 0x20-0x2f, one final byte 0x40-0x7e.
    let end = at + 2;
    while (end < input.length && /[\x20-\x3f]/.test(input[end])) end++;
    if (end >= input.length) return null;
    const final = input[end];
    if (!/[\x40-\x7e]/.test(final)) return { key: undefined, length: end - at };
    const body = input.slice(at + 2, end + 1);
    // Modifiers on keys that have no word form (Shift-Up, Ctrl-Home) do what the key does.
    const key = CSI_KEYS[body] ?? (/^1;\d+[A-DFH]$/.test(body) ? CSI_KEYS[final] : undefined);
    return { key, length: end + 1 - at };
  }
  if (next === "O") {
    const final = input[at + 2];
    if (final === undefined) return null;
    return { key: SS3_KEYS[final], length: 3 };
  }
  // ESC ESC: the first is a lone Esc, which does nothing.
  if (next === ESC) return { key: undefined, length: 1 };
  // Alt with a key; an unbound one does nothing (its character is not typed).
  const char = String.fromCodePoint(input.codePointAt(at + 1)!);
  return { key: ALT_KEYS[char], length: 1 + char.length };
}
