/**
 * p2pchat: end-to-end encrypted peer-to-peer chat for the terminal.
 * This file only dispatches subcommands; it is the one place that exits.
 *
 * @module
 */
import {
  type Command,
  formatCommandHelp,
  formatCommandLine,
  parseFlags,
  UsageError,
} from "./cli/mod.ts";
import { idCommand } from "./client/mod.ts";
import { connectCommand } from "./client/mod.ts";
import { auditCommand } from "./client/mod.ts";
import { serveCommand } from "./server/mod.ts";
import { storeCopyCommand } from "./server/mod.ts";
import { errorMessage } from "./errors/mod.ts";
import config from "./deno.json" with { type: "json" };

/** The version printed by `--version`. */
export const VERSION: string = config.version;

// deno-lint-ignore no-explicit-any
const COMMANDS: Command<any>[] = [
  serveCommand,
  connectCommand,
  idCommand,
  storeCopyCommand,
  // Key transparency (docs/protocol.md §15.8).
  auditCommand,
];

/** The program's help: the commands, one line each, as git and ssh list theirs. */
export function helpText(): string {
  return [
    `p2pchat ${VERSION}: end-to-end encrypted peer-to-peer chat for the terminal`,
    "",
    "Usage: p2pchat <command> [flags]",
    "",
    "Commands:",
    ...COMMANDS.map((command) => formatCommandLine(command)),
    formatCommandLine({ name: "help", summary: "a command's flags: p2pchat help <command>" }),
    "",
    "Flags:",
    "  -h, --help     this help",
    "  -V, --version  the version",
    "",
    "Run p2pchat <command> --help for a command's flags and an example.",
  ].join("\n");
}

/** The commands of a group such as `store` (whose commands are `store copy`, …). */
function groupOf(name: string): Command[] {
  return COMMANDS.filter((c) => c.name.startsWith(`${name} `));
}

/** Help for a group of commands: each of its commands, one line each. */
function groupHelp(name: string): string {
  return [
    `Usage: p2pchat ${name} <command> [flags]`,
    "",
    "Commands:",
    ...groupOf(name).map((command) => formatCommandLine(command)),
    "",
    `Run p2pchat ${name} <command> --help for a command's flags and an example.`,
  ].join("\n");
}

const isHelpFlag = (word: string | undefined): boolean => word === "--help" || word === "-h";

/**
 * The command `words` start with (a name may be two words, as `store copy`),
 * and how many words it took; a group's name alone is a group.
 */
function commandNamed(
  words: string[],
): { command: Command; taken: number } | { group: string } {
  const two = COMMANDS.find((c) => c.name === `${words[0]} ${words[1]}`);
  if (two) return { command: two, taken: 2 };
  const name = words[0];
  const command = COMMANDS.find((c) => c.name === name);
  if (command) return { command, taken: 1 };
  if (groupOf(name).length > 0) return { group: name };
  throw new UsageError(
    `unknown command "${name}"; the commands are ${COMMANDS.map((c) => c.name).join(", ")}`,
  );
}

/**
 * Runs the program with `args`; returns the exit code (0 success, 1 a
 * runtime error, 2 a usage error). Only the module's own entry exits.
 *
 * @example
 * ```ts
 * import { main } from "./main.ts";
 *
 * const code = await main(["--version"]); // prints "p2pchat 0.1.0"
 * console.log(code); // 0
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  let running: string | undefined;
  try {
    if (name === undefined) {
      console.error(helpText());
      return 2;
    }
    if (name === "--help" || name === "-h") {
      console.log(helpText());
      return 0;
    }
    if (name === "help") {
      // `help`, `help --help`: the program's help; `help connect`, `help store`: that one's.
      if (rest.length === 0 || isHelpFlag(rest[0])) {
        console.log(helpText());
        return 0;
      }
      const named = commandNamed(rest);
      console.log("group" in named ? groupHelp(named.group) : formatCommandHelp(named.command));
      return 0;
    }
    if (name === "--version" || name === "-V") {
      console.log(`p2pchat ${VERSION}`);
      return 0;
    }
    const named = commandNamed(args);
    if ("group" in named) {
      if (isHelpFlag(args[1])) {
        console.log(groupHelp(named.group));
        return 0;
      }
      const commands = groupOf(named.group).map((c) => c.name).join(", ");
      throw new UsageError(`"${named.group}" needs a subcommand: ${commands}`, named.group);
    }
    const { command, taken } = named;
    running = command.name;
    const flags = args.slice(taken);
    if (flags.includes("--help") || flags.includes("-h")) {
      console.log(formatCommandHelp(command));
      return 0;
    }
    return await command.run(parseFlags(command, flags));
  } catch (error) {
    if (error instanceof UsageError) {
      const command = error.command ?? running;
      const where = command ? `p2pchat ${command} --help` : "p2pchat --help";
      console.error(`p2pchat: ${error.message}\nsee ${where}`);
      return 2;
    }
    console.error(`p2pchat: ${errorMessage(error)}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
