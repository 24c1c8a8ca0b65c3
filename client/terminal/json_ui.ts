/**
 * `--json`: one event per line on stdout, exactly as typed in events.ts.
 * The documented `message` fields (error, chat-closed, security-warning,
 * server-lost) are added from the interface's words; an error's facts are
 * not printed, only their words. Notices for people go to stderr as text.
 *
 * @module
 */
import type { ClientEvent, EventSink } from "../core/mod.ts";
import { closedWords, noticeWords, serverLostWords, warningWords } from "./words.ts";
import { errorText } from "./error_words.ts";
import { fileFailedWords } from "./file_words.ts";

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length;) written += file.writeSync(bytes.subarray(written));
}

/** The event as printed: the documented human `message` added where the format has one. */
export function jsonLine(event: ClientEvent): object {
  switch (event.type) {
    case "error": {
      const { about: _about, re, ...rest } = event;
      return { ...rest, message: errorText(event), ...(re === undefined ? {} : { re }) };
    }
    case "chat-closed":
      return { ...event, message: closedWords(event) };
    case "security-warning":
      return { ...event, message: warningWords(event) };
    case "server-lost":
      return { ...event, message: serverLostWords(event.detail) };
    // Files (issue 23):
    case "file-failed":
      return { ...event, message: fileFailedWords(event) };
    default:
      return event;
  }
}

/** Prints events as JSON lines. */
export class JsonSink implements EventSink {
  /** Prints `event`: a JSON line on stdout, or a notice's words on stderr. */
  emit(event: ClientEvent): void {
    if (event.type === "notice") {
      writeAll(Deno.stderr, encoder.encode(`${noticeWords(event.notice)}\n`));
      return;
    }
    writeAll(Deno.stdout, encoder.encode(JSON.stringify(jsonLine(event)) + "\n"));
  }
}
