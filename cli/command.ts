/**
 * Subcommands declare their flags once, here described; parsing and help
 * text are both generated from that declaration.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { CodedError } from "../errors/mod.ts";

/** One flag of a subcommand. */
export type FlagSpec = {
  readonly type: "string" | "boolean";
  readonly description: string;
  /** Placeholder shown in help, e.g. `HOST:PORT`. */
  readonly value?: string;
  readonly default?: string;
};

/** Flags keyed by their long name. */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** Parsed values: booleans for boolean flags; strings for string flags, always set when they have a default. */
export type FlagValues<S extends FlagSpecs> = {
  [K in keyof S]: S[K]["type"] extends "boolean" ? boolean
    : S[K] extends { default: string } ? string
    : string | undefined;
};

/** A subcommand: its name, what it does, its flags, an example, and how to run it. */
export type Command<S extends FlagSpecs = FlagSpecs> = {
  readonly name: string;
  readonly summary: string;
  readonly flags: S;
  readonly example: string;
  run(flags: FlagValues<S>): Promise<number>;
};

/** A mistake in how the program was invoked; main prints it with usage and exits 2. */
export class UsageError extends CodedError<"usage"> {
  /** The subcommand whose usage was wrong, for the "see p2pchat CMD --help" hint. */
  readonly command: string | undefined;

  /** Makes the error; `message` names the flag or argument at fault and the right form. */
  constructor(message: string, command?: string) {
    super("usage", message);
    this.command = command;
  }
}

/** Parses `args` against a command's flags; throws UsageError on unknown flags or stray arguments. */
export function parseFlags<S extends FlagSpecs>(
  command: Command<S>,
  args: string[],
): FlagValues<S> {
  const options: Record<string, { type: "string" | "boolean"; default?: string }> = {};
  for (const [name, spec] of Object.entries(command.flags)) {
    options[name] = spec.default === undefined
      ? { type: spec.type }
      : { type: spec.type, default: spec.default };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(parseFailure(error, command.flags, args), command.name);
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(command.flags)) {
    const value = parsed.values[name];
    if (spec.type === "boolean") values[name] = value === true;
    else {
      if (value === "") {
        throw new UsageError(`--${name} needs a value (${spec.value ?? "VALUE"})`, command.name);
      }
      values[name] = value as string | undefined;
    }
  }
  return values as FlagValues<S>;
}

/**
 * What was wrong, said for people: node:util's messages speak of
 * "positionals" and "option arguments" and end with advice for programmers,
 * so each of its failures (told apart by `code`) is worded here, naming the
 * flag and the value it wants.
 */
function parseFailure(error: unknown, flags: FlagSpecs, args: string[]): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const flag = /--([a-z][a-z0-9-]*)/.exec(message)?.[1];
  const spec = flag === undefined ? undefined : flags[flag];
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && spec) {
    if (spec.type === "boolean") return `--${flag} takes no value: it is on when given`;
    const given = args[args.indexOf(`--${flag}`) + 1];
    if (given !== undefined && given.startsWith("-")) {
      // `--port -1`: the parser takes "-1" for a flag. Say how to give such a value.
      return `--${flag} needs a value (${
        spec.value ?? "VALUE"
      }); for one that starts with a dash, write --${flag}=${given}`;
    }
    return `--${flag} needs a value (${spec.value ?? "VALUE"})`;
  }
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const unknown = /'([^']+)'/.exec(message)?.[1] ?? "";
    return `unknown flag ${unknown.split("=")[0]}`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const stray = /'([^']+)'/.exec(message)?.[1] ?? "";
    return `unexpected argument "${stray}": every value follows its flag (--flag VALUE)`;
  }
  // Any other failure: its first sentence, without the programmer's advice.
  return message.split(". ")[0].replace(/'/g, "");
}

/** Width help text is wrapped at. */
export const HELP_WIDTH = 80;
/** Widest flag column; longer flags put their description on the next line. */
const FLAG_COLUMN = 28;

/** Splits `text` into lines of at most `width` characters, breaking at spaces. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The one-line entry for a command in `p2pchat --help`: name, then its summary wrapped. */
export function formatCommandLine(command: { name: string; summary: string }, width = 12): string {
  const [first, ...rest] = wrap(command.summary, HELP_WIDTH - 2 - width);
  return [
    `  ${command.name.padEnd(width)}${first}`,
    ...rest.map((line) => `  ${" ".repeat(width)}${line}`),
  ].join("\n");
}

/** Help for one command: usage, what it does, each flag with its default once, an example. */
export function formatCommandHelp(command: Command): string {
  const lines = [
    `Usage: p2pchat ${command.name} [flags]`,
    "",
    ...wrap(command.summary, HELP_WIDTH),
    "",
  ];
  lines.push("Flags:");
  const width = Math.min(
    FLAG_COLUMN,
    2 +
      Math.max(...Object.entries(command.flags).map(([name, spec]) => flagLeft(name, spec).length)),
  );
  for (const [name, spec] of Object.entries(command.flags)) {
    const left = flagLeft(name, spec);
    // The default stays on one line: glued with no-break spaces while wrapping.
    const description = spec.default !== undefined
      ? `${spec.description} ${`(default: ${spec.default})`.replaceAll(" ", "\u00a0")}`
      : spec.description;
    const body = wrap(description, HELP_WIDTH - 2 - width).map((line) =>
      line.replaceAll("\u00a0", " ")
    );
    if (left.length + 2 > width) {
      lines.push(`  ${left}`);
    } else {
      lines.push(`  ${left.padEnd(width)}${body.shift() ?? ""}`);
    }
    for (const rest of body) lines.push(`  ${" ".repeat(width)}${rest}`);
  }
  lines.push("  -h, --help".padEnd(2 + width) + "this help");
  lines.push("", "Example:", `  ${command.example}`);
  return lines.join("\n");
}

function flagLeft(name: string, spec: FlagSpec): string {
  return spec.type === "string" ? `--${name} ${spec.value ?? "VALUE"}` : `--${name}`;
}
