/**
 * One line per event on stderr, as text or JSON. Callers pass only values
 * they validated or computed; never a key, never raw client input.
 *
 * @module
 */

/** How log lines look. */
export type LogFormat = "text" | "json";
/** Values a log field may hold. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Writes events as lines. */
export class Logger {
  readonly #format: LogFormat;
  readonly #write: (line: string) => void;
  readonly #clock: () => number;

  constructor(
    format: LogFormat,
    options: { write?: (line: string) => void; clock?: () => number } = {},
  ) {
    this.#format = format;
    this.#write = options.write ?? ((line) => console.error(line));
    this.#clock = options.clock ?? Date.now;
  }

  /** Logs `event` with its fields. */
  event(event: string, fields: LogFields = {}): void {
    const time = new Date(this.#clock()).toISOString();
    if (this.#format === "json") {
      this.#write(JSON.stringify({ time, event, ...fields }));
      return;
    }
    let line = `${time} ${event}`;
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) line += ` ${key}=${value}`;
    }
    this.#write(line);
  }
}
