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
  /** Makes the error; `message` names the flag or argument at fault and the right form. */
  constructor(message: string) {
    super("usage", message);
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
    throw new UsageError(`${command.name}: ${cleanParseError((error as Error).message)}`);
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(command.flags)) {
    const value = parsed.values[name];
    if (spec.type === "boolean") values[name] = value === true;
    else {
      if (value === "") {
        throw new UsageError(`${command.name}: --${name} needs a value (${spec.value ?? "VALUE"})`);
      }
      values[name] = value as string | undefined;
    }
  }
  return values as FlagValues<S>;
}

function cleanParseError(message: string): string {
  // node:util's messages mention "positionals" and end with advice for programmers; keep the first sentence.
  const first = message.split(". ")[0].replace(/'/g, "");
  return first.replace("Unexpected argument", "unexpected argument").replace(
    "Unknown option",
    "unknown flag",
  );
}

/** Help for one command: usage line, flags with descriptions and defaults, an example. */
export function formatCommandHelp(command: Command): string {
  const lines = [`  ${command.name}  ${command.summary}`];
  for (const [name, spec] of Object.entries(command.flags)) {
    const left = spec.type === "string" ? `--${name} ${spec.value ?? "VALUE"}` : `--${name}`;
    const def = spec.default !== undefined ? ` (default: ${spec.default})` : "";
    lines.push(`      ${left.padEnd(26)} ${spec.description}${def}`);
  }
  lines.push(`      example: ${command.example}`);
  return lines.join("\n");
}
