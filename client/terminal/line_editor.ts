/**
 * The line being typed (pure state, no I/O): its text, the cursor, and the
 * lines entered before. The cursor moves, and text is deleted, a grapheme
 * at a time (a joined emoji such as 👩‍👩‍👧, or `e` with a combining accent,
 * is one), so that no edit leaves half a character behind. Words are runs
 * of characters between spaces, as bash's Ctrl-W sees them.
 *
 * @example
 * ```ts
 * import { LineEditor } from "./line_editor.ts";
 *
 * const editor = new LineEditor();
 * editor.insert("hi 👩‍👩‍👧");
 * editor.backspace();
 * console.log(JSON.stringify(editor.text)); // "hi "
 * ```
 *
 * @module
 */

/** How many lines Up and Down recall. */
export const HISTORY_LIMIT = 100;
/**
 * The longest line the editor holds, in UTF-16 code units: well above the
 * longest message (16,000), so that the app, not the editor, says a line is
 * too long, but bounded, so that a runaway paste cannot grow every redraw.
 */
export const MAX_INPUT_LENGTH = 64 * 1024;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const SPACE = /\s/;

/** Where each grapheme of `text` starts, and its end. */
function boundaries(text: string): number[] {
  return [...[...graphemes.segment(text)].map(({ index }) => index), text.length];
}

/** The line being typed, with the cursor and the history of lines entered. */
export class LineEditor {
  #text = "";
  /** A UTF-16 index, always at a grapheme boundary. */
  #cursor = 0;
  readonly #history: string[] = [];
  /** Which history entry is shown (its index), or undefined for the line being typed. */
  #recalled: number | undefined;
  /** The line being typed when Up first recalled an older one. */
  #draft = "";

  /** The text typed so far. */
  get text(): string {
    return this.#text;
  }

  /** Where the cursor is: a UTF-16 index into `text`, between two graphemes. */
  get cursor(): number {
    return this.#cursor;
  }

  /** The lines remembered for Up and Down, oldest first. */
  get history(): readonly string[] {
    return this.#history;
  }

  /** Inserts `text` at the cursor (cut at MAX_INPUT_LENGTH) and moves the cursor after it. */
  insert(text: string): void {
    const room = MAX_INPUT_LENGTH - this.#text.length;
    if (room <= 0 || text === "") return;
    // Never cut a surrogate pair in two.
    const cut = text.length <= room ? text : [...text.slice(0, room + 1)].slice(0, -1).join("");
    const before = this.#text.slice(0, this.#cursor) + cut;
    this.#set(before + this.#text.slice(this.#cursor), before.length);
  }

  /** Replaces the `length` code units before the cursor with `text` (a completion). */
  replaceBefore(length: number, text: string): void {
    const start = Math.max(0, this.#cursor - length);
    const before = this.#text.slice(0, start) + text;
    this.#set(before + this.#text.slice(this.#cursor), before.length);
  }

  /** Deletes the grapheme before the cursor. */
  backspace(): void {
    const start = this.#previous();
    this.#set(this.#text.slice(0, start) + this.#text.slice(this.#cursor), start);
  }

  /** Deletes the grapheme at the cursor. */
  deleteForward(): void {
    this.#set(this.#text.slice(0, this.#cursor) + this.#text.slice(this.#next()), this.#cursor);
  }

  /** Moves the cursor one grapheme left. */
  left(): void {
    this.#cursor = this.#previous();
  }

  /** Moves the cursor one grapheme right. */
  right(): void {
    this.#cursor = this.#next();
  }

  /** Moves the cursor to the start of the word before it. */
  wordLeft(): void {
    this.#cursor = this.#wordStart();
  }

  /** Moves the cursor past the end of the word after it. */
  wordRight(): void {
    let at = this.#cursor;
    while (at < this.#text.length && SPACE.test(this.#text[at])) at++;
    while (at < this.#text.length && !SPACE.test(this.#text[at])) at++;
    this.#cursor = this.#snap(at);
  }

  /** Moves the cursor to the start of the line. */
  home(): void {
    this.#cursor = 0;
  }

  /** Moves the cursor to the end of the line. */
  end(): void {
    this.#cursor = this.#text.length;
  }

  /** Deletes from the start of the line to the cursor (Ctrl-U). */
  killStart(): void {
    this.#set(this.#text.slice(this.#cursor), 0);
  }

  /** Deletes from the cursor to the end of the line (Ctrl-K). */
  killEnd(): void {
    this.#set(this.#text.slice(0, this.#cursor), this.#cursor);
  }

  /** Deletes the word before the cursor and the spaces after it (Ctrl-W). */
  killWordBack(): void {
    const start = this.#wordStart();
    this.#set(this.#text.slice(0, start) + this.#text.slice(this.#cursor), start);
  }

  /** Shows the line entered before the one shown (Up); false when there is none. */
  older(): boolean {
    const at = (this.#recalled ?? this.#history.length) - 1;
    if (at < 0) return false;
    if (this.#recalled === undefined) this.#draft = this.#text;
    this.#recalled = at;
    this.#show(this.#history[at]);
    return true;
  }

  /** Shows the line entered after the one shown, or the line being typed (Down). */
  newer(): boolean {
    if (this.#recalled === undefined) return false;
    const at = this.#recalled + 1;
    this.#recalled = at < this.#history.length ? at : undefined;
    this.#show(this.#recalled === undefined ? this.#draft : this.#history[at]);
    return true;
  }

  /** Ends the line: returns it and starts an empty one. */
  take(): string {
    const line = this.#text;
    this.#text = "";
    this.#cursor = 0;
    this.#recalled = undefined;
    this.#draft = "";
    return line;
  }

  /** Remembers `line` for Up and Down (not a blank one, nor the one just before it again). */
  remember(line: string): void {
    if (line.trim() === "" || this.#history.at(-1) === line) return;
    this.#history.push(line);
    if (this.#history.length > HISTORY_LIMIT) this.#history.shift();
  }

  #show(text: string): void {
    this.#text = text;
    this.#cursor = text.length;
  }

  /** New text with the cursor at `cursor`, or the next grapheme boundary after it. */
  #set(text: string, cursor: number): void {
    this.#text = text;
    this.#cursor = this.#snap(cursor);
  }

  /** `at`, or the grapheme boundary after it when `at` falls inside a grapheme. */
  #snap(at: number): number {
    return boundaries(this.#text).find((b) => b >= at) ?? this.#text.length;
  }

  #previous(): number {
    return boundaries(this.#text).findLast((b) => b < this.#cursor) ?? 0;
  }

  #next(): number {
    return boundaries(this.#text).find((b) => b > this.#cursor) ?? this.#text.length;
  }

  /** Where the word before the cursor starts: spaces skipped, then everything else. */
  #wordStart(): number {
    let at = this.#cursor;
    while (at > 0 && SPACE.test(this.#text[at - 1])) at--;
    while (at > 0 && !SPACE.test(this.#text[at - 1])) at--;
    return this.#snap(at);
  }
}
