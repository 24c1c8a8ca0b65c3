/**
 * The interface for people: events worded (`words.ts`) and rendered as
 * lines, commands read as lines. Text that came from the network is made
 * safe first (`safe_text.ts`). In a terminal, our own line editor reads the
 * keys (`terminal_input.ts`): an incoming line is printed whole above the
 * input, the half-typed input is redrawn intact whatever its length, width
 * or wrapping, by our own count of its cells, and printed lines break
 * between words at the terminal's width (`wrap.ts`); Tab completes commands
 * and names; Ctrl-C and Ctrl-D end the session as /quit does. Piped, it
 * works line by line (node:readline).
 *
 * @module
 */
import * as readline from "node:readline";
import process from "node:process";
import { styleText } from "node:util";
import { type Fingerprint, formatFingerprint } from "../../crypto/mod.ts";
import { complete } from "../core/mod.ts";
import type { ClientEvent, EventSink } from "../core/mod.ts";
import { safeText } from "./safe_text.ts";
import { TerminalInput } from "./terminal_input.ts";
import { displayWidth, wrapText } from "./wrap.ts";
import { groupLine, isGroupEvent } from "./group_words.ts";
import {
  closedWords,
  noticeWords,
  serverLostWords,
  undeliveredWords,
  warningWords,
} from "./words.ts";
import { errorWords } from "./error_words.ts";
// Hole punching (docs/protocol.md §11.2).
import { chatPathWords, pathChangedWords, punchFailedWords } from "./punch_words.ts";
// Files (issue 23):
import { renderFileEvent, TransferRows } from "./status_rows.ts";

type Style = Parameters<typeof styleText>[0];

/** How much of a message a delivery report quotes. */
const QUOTE_LENGTH = 40;
/** Every string in `value` made safe for the terminal (events are plain data). */
function safeFields<T>(value: T): T {
  if (typeof value === "string") return safeText(value) as T;
  if (Array.isArray(value)) return value.map(safeFields) as T;
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, field]) => [key, safeFields(field)]),
    ) as T;
  }
  return value;
}

/** `"text"`, cut to QUOTE_LENGTH characters. */
function quote(text: string): string {
  const chars = [...text];
  return `“${chars.length > QUOTE_LENGTH ? `${chars.slice(0, QUOTE_LENGTH).join("")}…` : text}”`;
}

/** `text` with no-break spaces: a short code (the SAS) is read as one, never across rows. */
function unbroken(text: string): string {
  return text.replaceAll(" ", "\u00a0");
}

/** Renders events for people and reads their lines: our line editor in a terminal, readline piped. */
export class TerminalUi implements EventSink {
  /** The line editor, in a terminal. */
  readonly #input: TerminalInput | undefined;
  /** Lines read from a pipe or a file, when not in a terminal. */
  readonly #rl: readline.Interface | undefined;
  readonly #color: boolean;
  #prompt: () => string = () => "> ";
  #names: () => string[] = () => [];
  #onInterrupt: () => void = () => {};
  // Lines are queued from the moment the interface exists: input typed or piped
  // while we are still connecting must not be lost.
  readonly #queue: string[] = [];
  #waiting: ((line: string | null) => void) | undefined;
  /** The question ask() is waiting for an answer to, shown as the prompt. */
  #question: string | undefined;
  #ended = false;
  #closed = false;
  /** Files (issue 23): the status rows of the transfers under way. */
  readonly #transfers = new TransferRows();

  /** Reads stdin; in a terminal, in raw mode with our line editor. */
  constructor() {
    this.#color = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
    if (Deno.stdin.isTerminal() && Deno.stdout.isTerminal()) {
      this.#input = new TerminalInput({
        line: (line) => this.#received(line),
        interrupt: () => this.#onInterrupt(),
        end: () => this.#end(),
        complete: (before) => complete(before, this.#names()),
      });
      this.#input.setPrompt(this.#prompt());
      this.#input.setStatus((columns) => this.#transfers.rows(columns));
      return;
    }
    this.#rl = readline.createInterface({ input: process.stdin, terminal: false });
    this.#rl.on("line", (line) => this.#received(line));
    this.#rl.on("close", () => this.#end());
  }

  /** Whether both ends are a terminal. */
  get interactive(): boolean {
    return this.#input !== undefined;
  }

  #received(line: string): void {
    if (this.#question !== undefined) {
      // Answered: what is typed next is a line of the session.
      this.#question = undefined;
      if (this.#input) this.#promptNow(this.#input);
    }
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve(line);
    } else {
      this.#queue.push(line);
    }
  }

  /** End of input (Ctrl-D, a closed pipe); in a terminal, the input is off the screen already. */
  #end(): void {
    this.#ended = true;
    this.#closed = true;
    this.#waiting?.(null);
    this.#waiting = undefined;
  }

  /** The next line typed, or null at end of input. */
  #next(): Promise<string | null> {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift()!);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiting = resolve);
  }

  /** Lines typed by the user, until end of input (Ctrl-D). */
  async *lines(): AsyncIterable<string> {
    for (let line = await this.#next(); line !== null; line = await this.#next()) yield line;
  }

  /** Where the prompt text and completion names come from. */
  attach(prompt: () => string, names: () => string[]): void {
    this.#prompt = prompt;
    this.#names = names;
  }

  /** What Ctrl-C does (the session's /quit). */
  onInterrupt(handler: () => void): void {
    this.#onInterrupt = handler;
  }

  /** Redraws the prompt with the input typed so far (terminals only). */
  prompt(): void {
    if (!this.#input || this.#closed) return;
    this.#promptNow(this.#input);
    this.#input.redraw();
  }

  /** The prompt as it is now: the question asked, or the session's (which follows its state). */
  #promptNow(input: TerminalInput): void {
    if (this.#question !== undefined) input.setPrompt(this.#question, false);
    else input.setPrompt(this.#prompt());
  }

  /** Asks a question and returns the answer, or null at end of input. */
  ask(question: string): Promise<string | null> {
    if (this.#input && !this.#closed) {
      // The answer (a name) is not a line to recall with Up.
      this.#question = question;
      this.prompt();
    } else {
      process.stderr.write(question + "\n");
    }
    return this.#next();
  }

  /** Ends the interface; in a terminal, leaves the cursor on a clean line for the shell. */
  close(): void {
    this.#closed = true;
    this.#input?.close();
    this.#rl?.close();
  }

  /** Prints the event above the input line. */
  emit(event: ClientEvent): void {
    // Files (issue 23): progress redraws the status rows in place; it prints no line.
    if (this.#transfers.track(safeFields(event))) return void this.#input?.redraw();
    const rendered = this.#render(safeFields(event));
    if (!rendered) return;
    const [text, toStderr, hang] = rendered;
    if (!this.#input || this.#closed) {
      (toStderr ? process.stderr : process.stdout).write(text + "\n");
      return;
    }
    this.#promptNow(this.#input);
    // Broken between words at the terminal's width, not wherever the row runs out.
    this.#input.print(wrapText(text, this.#columns(), hang), toStderr);
  }

  /** The terminal's width now (it may have been resized), or 0 when unknown. */
  #columns(): number {
    try {
      return Deno.consoleSize().columns;
    } catch {
      return 0;
    }
  }

  #style(style: Style, text: string): string {
    return this.#color ? styleText(style, text) : text;
  }

  /**
   * The text for an event, whether it goes to stderr, and where its wrapped
   * rows hang; null for events shown by the input itself.
   */
  #render(e: ClientEvent): [text: string, toStderr: boolean, hang?: number] | null {
    const fp = (f: string): string => formatFingerprint(f as Fingerprint);
    const clock = (iso: string): string => this.#style("dim", `[${iso.slice(11, 16)}]`);
    // Groups (issue 24): their lines are group_words.ts's.
    if (isGroupEvent(e)) {
      const line = groupLine(e, this.#input !== undefined);
      if (!line) return null;
      const text = line.style ? this.#style(line.style, line.text) : line.text;
      if (line.hang === undefined) return [text, line.stderr === true];
      return [this.#style("cyan", line.hang) + text, false, displayWidth(line.hang)];
    }
    switch (e.type) {
      case "ready":
        return [
          `You are ${e.name} (fingerprint ${fp(e.fingerprint)}), on directory ${e.server}; ` +
          `peers reach you on ${e.addresses.join(", ")}. Type /help for commands.`,
          false,
        ];
      case "users":
        if (e.users.length === 0) return ["Nobody online matches.", false];
        return [
          e.users.map((u) =>
            `  ${u.name.padEnd(20)} ${`${u.address}:${u.port}`.padEnd(22)} ${
              fp(u.fingerprint).slice(0, 19)
            }…${u.verified ? this.#style("green", "  ✔ verified") : ""}${u.self ? "  (you)" : ""}`
          ).join("\n") + (e.more ? "\n  … more: narrow with /list PREFIX" : ""),
          false,
        ];
      case "chat-request": {
        const known = e.known === "new"
          ? "first contact"
          : e.known === "verified"
          ? "verified key"
          : "pinned key";
        return [
          this.#style(
            "bold",
            `${e.peer} wants to chat (${known}, ${fp(e.fingerprint)}${
              e.path === "relay" ? ", through the relay" : ""
            }). /accept ${e.peer} or /decline ${e.peer}`,
          ),
          false,
        ];
      }
      case "chat-open": {
        const trust = e.verified
          ? this.#style("green", "✔ verified")
          : `SAS ${
            this.#style("bold", unbroken(e.sas))
          }: compare it with ${e.peer} by voice, then /verify ${e.peer}`;
        return [
          `Chat with ${e.peer} open${
            e.firstContact ? " (first contact: key pinned)" : ""
          } via ${e.path}. ${trust}`,
          false,
        ];
      }
      case "message": {
        const from = `${
          e.offline
            ? this.#style("dim", `[${e.time.slice(0, 10)} ${e.time.slice(11, 16)}]`)
            : clock(e.time)
        } ${this.#style("cyan", e.peer)}${
          e.offline ? this.#style("dim", " (left at the directory)") : ""
        }: `;
        // The text's rows hang under its first: nothing the peer writes starts a row.
        return [from + e.text, false, displayWidth(from)];
      }
      case "queued":
        return [
          this.#style("dim", `  ✉ sealed for ${e.peer}, held by the directory: ${quote(e.text)}`),
          false,
        ];
      case "mail":
        if (e.messages.length === 0) return ["No messages waiting for a receipt.", false];
        return [
          e.messages.map((m) =>
            `  ✉ ${m.peer} ${m.time.slice(0, 16).replace("T", " ")} ${quote(m.text)} ` +
            this.#style("dim", `(held until ${m.expires.slice(0, 10)})`)
          ).join("\n"),
          false,
        ];
      case "sent":
        // In a terminal the typed line stays on screen; delivery reports quote it.
        return this.#input ? null : [`${clock(e.time)} you→${e.peer} (${e.id}): ${e.text}`, false];
      case "delivered":
        return [
          this.#style(
            "dim",
            `  ✓ ${e.peer} received ${e.offline ? "" : `${e.id} `}${quote(e.text)}${
              e.offline ? " (left while they were offline)" : ""
            }`,
          ),
          false,
        ];
      case "undelivered":
        return [
          this.#style(
            "yellow",
            `Not delivered to ${e.peer}${e.reason ? ` (${undeliveredWords(e.reason)})` : ""}: ${
              e.ids.map((id, i) => `${e.reason ? "" : `${id} `}${quote(e.texts[i] ?? "")}`).join(
                ", ",
              )
            }`,
          ),
          true,
        ];
      case "chat-closed":
        return [closedWords(e), e.reason === "security"];
      case "path-changed":
        return [this.#style("dim", pathChangedWords(e)), false];
      case "security-warning":
        return [this.#style("red", `⚠ SECURITY WARNING: ${warningWords(e)}`), true];
      case "chats":
        if (e.chats.length === 0) return ["No open chats or requests.", false];
        return [
          e.chats.map((c) =>
            `  ${c.current ? "*" : " "} ${c.peer} (${
              c.state === "requested" ? "waiting for their answer" : c.state
            }${chatPathWords(c)}${c.verified ? ", verified" : ""})`
          ).join("\n"),
          false,
        ];
      case "fingerprint":
        return [
          `${e.name}: ${fp(e.fingerprint)}${e.sas ? `  SAS ${unbroken(e.sas)}` : ""}${
            e.verified ? "  ✔ verified" : ""
          }`,
          false,
        ];
      case "verified":
        return [this.#style("green", `✔ ${e.peer} marked verified (${fp(e.fingerprint)})`), false];
      case "trusted":
        return [
          `Now trusting ${e.peer}'s new key ${fp(e.fingerprint)}; compare the SAS at the next chat`,
          false,
        ];
      case "current":
        return [`Now chatting with ${e.peer}`, false];
      case "help":
        return [
          e.commands.map((c) => `  ${c.usage.padEnd(18)} ${c.description}`).join("\n"),
          false,
        ];
      case "notice":
        return [this.#style("dim", noticeWords(e.notice)), true];
      case "error":
        return [this.#style("red", errorWords(e)), true];
      case "server-lost":
        return [this.#style("yellow", serverLostWords(e.detail)), true];
      case "server-restored":
        return [this.#style("green", "Directory connection restored"), true];
      // Hole punching (docs/protocol.md §11.2).
      case "punch-failed":
        return [this.#style("dim", punchFailedWords(e)), false];
      // Files (issue 23):
      case "file-offer":
      case "file-progress":
      case "file-received":
      case "file-sent":
      case "file-failed":
      case "files":
        return renderFileEvent(e, (style, text) => this.#style(style, text));
    }
  }
}
