/**
 * The interface for people: events rendered as lines with time and peer,
 * commands read with node:readline. In a terminal, the input line is redrawn
 * after every incoming line so typing is never garbled, and Tab completes
 * commands and names; piped, it works line by line.
 *
 * @module
 */
import * as readline from "node:readline";
import process from "node:process";
import { styleText } from "node:util";
import { type Fingerprint, formatFingerprint } from "../crypto/mod.ts";
import { complete } from "./commands.ts";
import type { ClientEvent, EventSink } from "./events.ts";

type Style = Parameters<typeof styleText>[0];

/** Renders events for people and owns the readline interface. */
export class TerminalUi implements EventSink {
  readonly #rl: readline.Interface;
  readonly #tty: boolean;
  readonly #color: boolean;
  #prompt: () => string = () => "> ";
  #names: () => string[] = () => [];
  // Lines are queued from the moment the interface exists: input typed or piped
  // while we are still connecting must not be lost.
  readonly #queue: string[] = [];
  #waiting: ((line: string | null) => void) | undefined;
  #ended = false;

  constructor() {
    this.#tty = Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
    this.#color = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
    this.#rl = readline.createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: this.#tty,
      completer: (line: string) => complete(line, this.#names()),
    });
    this.#rl.on("line", (line) => {
      if (this.#waiting) {
        const resolve = this.#waiting;
        this.#waiting = undefined;
        resolve(line);
      } else {
        this.#queue.push(line);
      }
    });
    this.#rl.on("close", () => {
      this.#ended = true;
      this.#waiting?.(null);
      this.#waiting = undefined;
    });
  }

  /** The next line typed, or null at end of input. */
  #next(): Promise<string | null> {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift()!);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiting = resolve);
  }

  /** Lines typed by the user, until end of input. */
  async *lines(): AsyncIterable<string> {
    for (let line = await this.#next(); line !== null; line = await this.#next()) yield line;
  }

  /** Where the prompt text and completion names come from. */
  attach(prompt: () => string, names: () => string[]): void {
    this.#prompt = prompt;
    this.#names = names;
  }

  /** Shows the prompt (terminals only). */
  prompt(): void {
    if (!this.#tty) return;
    this.#rl.setPrompt(this.#prompt());
    this.#rl.prompt(true);
  }

  /** Asks a question and returns the answer (used for another name when one is taken). */
  ask(question: string): Promise<string | null> {
    if (this.#tty) {
      this.#rl.setPrompt(question);
      this.#rl.prompt();
    } else {
      process.stderr.write(question + "\n");
    }
    return this.#next();
  }

  /** Whether both ends are a terminal. */
  get interactive(): boolean {
    return this.#tty;
  }

  close(): void {
    this.#rl.close();
  }

  emit(event: ClientEvent): void {
    const rendered = this.#render(event);
    if (!rendered) return;
    const [text, toStderr] = rendered;
    if (this.#tty) {
      readline.clearLine(process.stdout, 0);
      readline.cursorTo(process.stdout, 0);
    }
    (toStderr ? process.stderr : process.stdout).write(text + "\n");
    this.prompt();
  }

  #style(style: Style, text: string): string {
    return this.#color ? styleText(style, text) : text;
  }

  #render(e: ClientEvent): [string, boolean] | null {
    const fp = (f: string): string => formatFingerprint(f as Fingerprint);
    const clock = (iso: string): string => this.#style("dim", `[${iso.slice(11, 16)}]`);
    switch (e.type) {
      case "ready":
        return [
          `You are ${e.name} (fingerprint ${
            fp(e.fingerprint)
          }), on directory ${e.server}; peers reach you on ${e.listen}. Type /help for commands.`,
          false,
        ];
      case "users":
        if (e.users.length === 0) return ["Nobody online matches.", false];
        return [
          e.users.map((u) =>
            `  ${u.name.padEnd(20)} ${`${u.address}:${u.port}`.padEnd(22)} ${
              fp(u.fingerprint).slice(0, 19)
            }…${u.verified ? this.#style("green", "  ✔ verified") : ""}`
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
            `${e.peer} wants to chat (${known}, ${
              fp(e.fingerprint)
            }). /accept ${e.peer} or /decline ${e.peer}`,
          ),
          false,
        ];
      }
      case "chat-open": {
        const trust = e.verified
          ? this.#style("green", "✔ verified")
          : `SAS ${
            this.#style("bold", e.sas)
          }: compare it with ${e.peer} by voice, then /verify ${e.peer}`;
        return [
          `Chat with ${e.peer} open${
            e.firstContact ? " (first contact: key pinned)" : ""
          } via ${e.path}. ${trust}`,
          false,
        ];
      }
      case "message":
        return [`${clock(e.time)} ${this.#style("cyan", e.peer)}: ${e.text}`, false];
      case "sent":
        return this.#tty ? null : [`${clock(e.time)} you→${e.peer}: ${e.text}`, false];
      case "delivered":
        return [this.#style("dim", `  ✓ ${e.peer} received ${e.id}`), false];
      case "undelivered":
        return [this.#style("yellow", `Not delivered to ${e.peer}: ${e.ids.join(", ")}`), true];
      case "chat-closed":
        return [e.message, e.reason === "security"];
      case "security-warning":
        return [this.#style("red", `⚠ SECURITY WARNING: ${e.message}`), true];
      case "chats":
        if (e.chats.length === 0) return ["No open chats.", false];
        return [
          e.chats.map((c) =>
            `  ${c.current ? "*" : " "} ${c.peer} (${c.state}${c.verified ? ", verified" : ""})`
          ).join("\n"),
          false,
        ];
      case "fingerprint":
        return [
          `${e.name}: ${fp(e.fingerprint)}${e.sas ? `  SAS ${e.sas}` : ""}${
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
      case "info":
        return [this.#style("dim", e.message), true];
      case "error":
        return [this.#style("red", `error: ${e.message}`), true];
      case "server-lost":
        return [this.#style("yellow", e.message), true];
      case "server-restored":
        return [this.#style("green", "Directory connection restored"), true];
    }
  }
}
