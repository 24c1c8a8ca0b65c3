/**
 * The line editor in a real terminal: the I/O around the pure parts. It
 * puts the terminal in raw mode (and always puts it back: on Ctrl-D, at the
 * end of input, on close, on Ctrl-Z), reads keys (`keys.ts`), applies them
 * to the line (`key_bindings.ts`, `line_editor.ts`) and draws the input
 * block in place (`input_layout.ts`, `block_escapes.ts`): whatever is
 * printed above it first erases the block from its first row down, by our
 * own count of its rows, then draws it again. A resize (SIGWINCH, and the
 * width read again at every redraw) works out where the terminal's re-wrap
 * left the cursor before erasing.
 *
 * @module
 */
import { applyKey } from "./key_bindings.ts";
import { KeyDecoder } from "./keys.ts";
import { LineEditor } from "./line_editor.ts";
import { cursorRowAfterResize, type InputLayout, layoutInput, withStatus } from "./input_layout.ts";
import { CLEAR_SCREEN, drawBlock, drawEntered, eraseBlock } from "./block_escapes.ts";
import { applyCompletion, formatCandidates } from "./tab_completion.ts";

/** What the input tells its owner. */
export type InputEvents = {
  /** A line was entered (Enter). */
  line(line: string): void;
  /** Ctrl-C. */
  interrupt(): void;
  /** No more input: Ctrl-D on an empty line, or the terminal closed. Raw mode is off already. */
  end(): void;
  /** Tab: the completer's candidates for the text before the cursor, and the word they replace. */
  complete(before: string): [string[], string];
};

/** Bytes read from the terminal at a time. */
const READ_SIZE = 4096;
/** How long an Esc waits for the rest of an escape sequence before it counts as a lone Esc. */
const ESCAPE_WAIT_MS = 50;
/** After Ctrl-Z, how long to wait for SIGCONT before taking the terminal back anyway (no job control). */
const SUSPEND_WAIT_MS = 100;
/** The width assumed when the terminal will not say. */
const DEFAULT_COLUMNS = 80;

const encoder = new TextEncoder();

/** Writes all of `text` to `stream` now, so that it is on screen in the order written. */
function writeNow(stream: typeof Deno.stdout | typeof Deno.stderr, text: string): void {
  const bytes = encoder.encode(text);
  try {
    for (let done = 0; done < bytes.length;) done += stream.writeSync(bytes.subarray(done));
  } catch {
    // The terminal is gone (hung up): there is nobody left to show anything to.
  }
}

/** The line editor on a terminal: stdin and stdout must both be one. */
export class TerminalInput {
  readonly #events: InputEvents;
  readonly #editor = new LineEditor();
  readonly #keys = new KeyDecoder();
  readonly #signals: [Deno.Signal, () => void][] = [];
  #prompt = "";
  #remember = true;
  /** The block as it is on screen; undefined when it is not. */
  #drawn: InputLayout | undefined;
  #closed = false;
  #suspended = false;
  /** The key before was Tab: a second one lists the candidates. */
  #tabbed = false;
  #escapeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Files (issue 23): the status rows above the input, fitted to a width. */
  #status: (columns: number) => string[] = () => [];

  /** Puts the terminal in raw mode and starts reading keys. */
  constructor(events: InputEvents) {
    this.#events = events;
    Deno.stdin.setRaw(true);
    if (Deno.build.os !== "windows") {
      this.#listen("SIGWINCH", () => this.redraw());
      this.#listen("SIGCONT", () => this.#resume());
    }
    this.#read();
  }

  /** Whether input has ended (Ctrl-D, the terminal closed, or close()). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sets the prompt (drawn at the next redraw); `remember`: lines entered go to the history. */
  setPrompt(prompt: string, remember = true): void {
    this.#prompt = prompt;
    this.#remember = remember;
  }

  /** Files (issue 23): where the status rows above the input come from (redrawn with it). */
  setStatus(status: (columns: number) => string[]): void {
    this.#status = status;
  }

  /** Draws the block again in place, at the terminal's width now. */
  redraw(): void {
    if (this.#closed || this.#suspended) return;
    const columns = this.#columns();
    const layout = withStatus(
      layoutInput(this.#prompt, this.#editor.text, this.#editor.cursor, columns),
      this.#status(columns),
    );
    writeNow(Deno.stdout, this.#erasing(columns) + drawBlock(layout));
    this.#drawn = layout;
  }

  /** Takes the block off the screen: the cursor is left where its first row was. */
  erase(): void {
    writeNow(Deno.stdout, this.#erasing(this.#columns()));
    this.#drawn = undefined;
  }

  /** Prints `text` (lines fitted to the width already) above the block. */
  print(text: string, toStderr = false): void {
    if (this.#closed) {
      writeNow(toStderr ? Deno.stderr : Deno.stdout, `${text}\n`);
      return;
    }
    this.erase();
    writeNow(toStderr ? Deno.stderr : Deno.stdout, `${text.replaceAll("\n", "\r\n")}\r\n`);
    this.redraw();
  }

  /** Ends input: the block erased, raw mode off, no more keys read. */
  close(): void {
    if (this.#closed) return;
    this.erase();
    this.#stop();
  }

  /** The width now, in cells. */
  #columns(): number {
    try {
      return Deno.consoleSize().columns || DEFAULT_COLUMNS;
    } catch {
      return DEFAULT_COLUMNS;
    }
  }

  /** The sequence that erases the block as drawn, now that the terminal is `columns` wide. */
  #erasing(columns: number): string {
    const drawn = this.#drawn;
    if (!drawn) return "";
    // A terminal re-wraps its rows when resized: the cursor may now be further down the block.
    return eraseBlock(
      drawn.columns === columns ? drawn.cursor.row : cursorRowAfterResize(drawn, columns),
    );
  }

  #listen(signal: Deno.Signal, handler: () => void): void {
    Deno.addSignalListener(signal, handler);
    this.#signals.push([signal, handler]);
  }

  #stop(): void {
    this.#closed = true;
    clearTimeout(this.#escapeTimer);
    for (const [signal, handler] of this.#signals.splice(0)) {
      Deno.removeSignalListener(signal, handler);
    }
    this.#raw(false);
  }

  #raw(on: boolean): void {
    try {
      Deno.stdin.setRaw(on);
    } catch {
      // stdin is no longer a terminal (hung up): there is no mode left to set.
    }
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(READ_SIZE);
    while (!this.#closed) {
      let read: number | null;
      try {
        read = await Deno.stdin.read(buffer);
      } catch {
        read = null; // The terminal is gone (EIO after a hangup): as the end of input.
      }
      // Keys typed once input has ended belong to nobody (the shell gets those read later).
      if (this.#closed) return;
      if (read === null) return this.#end();
      this.#handle(buffer.subarray(0, read));
    }
  }

  #handle(bytes: Uint8Array): void {
    clearTimeout(this.#escapeTimer);
    let dirty = false;
    for (const key of this.#keys.push(bytes)) {
      if (this.#closed) return;
      const action = applyKey(this.#editor, key);
      const again = this.#tabbed;
      this.#tabbed = action.kind === "complete";
      switch (action.kind) {
        case "edited":
          dirty = true;
          break;
        case "submit":
          this.#submit(action.line);
          dirty = false;
          break;
        case "end":
          return this.#end();
        case "interrupt":
          this.#events.interrupt();
          break;
        case "complete":
          this.#complete(again);
          dirty = true;
          break;
        case "clear-screen":
          writeNow(Deno.stdout, CLEAR_SCREEN);
          this.#drawn = undefined;
          dirty = true;
          break;
        case "suspend":
          this.#suspend();
          break;
      }
    }
    if (dirty) this.redraw();
    // A lone Esc: nothing follows it soon.
    if (this.#keys.pending) {
      this.#escapeTimer = setTimeout(() => this.#keys.flush(), ESCAPE_WAIT_MS);
    }
  }

  /** The line stays on screen as typed, the cursor on the row below; the block starts anew. */
  #submit(line: string): void {
    const columns = this.#columns();
    const layout = layoutInput(this.#prompt, line, line.length, columns);
    writeNow(Deno.stdout, this.#erasing(columns) + drawEntered(layout));
    this.#drawn = undefined;
    if (this.#remember) this.#editor.remember(line);
    this.#events.line(line);
  }

  #complete(again: boolean): void {
    const before = this.#editor.text.slice(0, this.#editor.cursor);
    const list = applyCompletion(this.#editor, this.#events.complete(before), again);
    if (list) this.print(formatCandidates(list, this.#columns()));
  }

  #end(): void {
    this.erase();
    this.#stop();
    this.#events.end();
  }

  /** Ctrl-Z: the terminal back to the shell, the process stopped until `fg`. */
  #suspend(): void {
    if (Deno.build.os === "windows") return;
    this.erase();
    this.#suspended = true;
    this.#raw(false);
    Deno.kill(Deno.pid, "SIGTSTP");
    // Without job control (an orphaned process group) the stop is discarded and no SIGCONT comes.
    setTimeout(() => this.#resume(), SUSPEND_WAIT_MS);
  }

  #resume(): void {
    if (!this.#suspended || this.#closed) return;
    this.#suspended = false;
    this.#raw(true);
    this.redraw();
  }
}
