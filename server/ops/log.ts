/**
 * One line per event on stderr, as text or JSON. Callers pass only values
 * they validated or computed; never a key, never raw client input.
 *
 * Lines are written in batches, off the request path: a directory taking
 * hundreds of registrations a second logs each without a write call of its
 * own (a write per line cost ~4% of the server's CPU at load, bench/load.ts).
 * A stderr that stops taking lines holds at most MAX_PENDING_LOG_LINES; past
 * that, lines are dropped and the next line written says how many.
 *
 * @module
 */

/** How log lines look. */
export type LogFormat = "text" | "json";
/** Values a log field may hold. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Lines waiting for stderr before further ones are dropped. */
export const MAX_PENDING_LOG_LINES = 10_000;

const encoder = new TextEncoder();

/** Writes event lines. */
export class Logger {
  readonly #format: LogFormat;
  readonly #write: ((line: string) => void) | undefined;
  readonly #clock: () => number;
  #pending: string[] = [];
  #dropped = 0;
  #flushing: Promise<void> | undefined;

  /** Logs in `format`; `write` (for tests) takes each line at once instead of batched stderr. */
  constructor(
    format: LogFormat,
    options: { write?: (line: string) => void; clock?: () => number } = {},
  ) {
    this.#format = format;
    this.#write = options.write;
    this.#clock = options.clock ?? Date.now;
  }

  /** Logs `event` with its fields. */
  event(event: string, fields: LogFields = {}): void {
    const time = new Date(this.#clock()).toISOString();
    let line: string;
    if (this.#format === "json") {
      line = JSON.stringify({ time, event, ...fields });
    } else {
      line = `${time} ${event}`;
      for (const [key, value] of Object.entries(fields)) {
        if (value !== undefined) line += ` ${key}=${value}`;
      }
    }
    if (this.#write) return this.#write(line);
    if (this.#pending.length >= MAX_PENDING_LOG_LINES) {
      this.#dropped++;
      return;
    }
    if (this.#dropped > 0) {
      this.#pending.push(`${time} log-lines-dropped count=${this.#dropped}`);
      this.#dropped = 0;
    }
    this.#pending.push(line);
    this.#flushing ??= this.#flush();
  }

  /** Resolves once every line logged so far has been written. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #flush(): Promise<void> {
    try {
      // Let the lines of this turn of the event loop gather first.
      await Promise.resolve();
      while (this.#pending.length > 0) {
        const bytes = encoder.encode(this.#pending.join("\n") + "\n");
        this.#pending = [];
        for (let written = 0; written < bytes.length;) {
          written += await Deno.stderr.write(bytes.subarray(written));
        }
      }
    } catch {
      // stderr is gone: nothing left to tell.
      this.#pending = [];
    } finally {
      this.#flushing = undefined;
    }
  }
}
