/**
 * `--json`: one event per line on stdout; human text on stderr.
 *
 * @module
 */
import type { ClientEvent, EventSink } from "./events.ts";

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length;) written += file.writeSync(bytes.subarray(written));
}

/** Prints events as JSON lines. */
export class JsonSink implements EventSink {
  emit(event: ClientEvent): void {
    if (event.type === "info") {
      writeAll(Deno.stderr, encoder.encode(`${event.message}\n`));
      return;
    }
    writeAll(Deno.stdout, encoder.encode(JSON.stringify(event) + "\n"));
  }
}
