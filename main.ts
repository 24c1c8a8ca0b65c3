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
import { serveCommand } from "./server/mod.ts";
import { storeCopyCommand } from "./server/mod.ts";
import { errorMessage } from "./errors/mod.ts";
import config from "./deno.json" with { type: "json" };

/** The version printed by `--version`. */
export const VERSION: string = config.version;

// deno-lint-ignore no-explicit-any
const COMMANDS: Command<any>[] = [serveCommand, connectCommand, idCommand, storeCopyCommand];

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

/** The command `words` start with (a name may be two words, as `store copy`), and how many it took. */
function commandNamed(words: string[]): { command: Command; taken: number } {
  const two = COMMANDS.find((c) => c.name === `${words[0]} ${words[1]}`);
  if (two) return { command: two, taken: 2 };
  const name = words[0];
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${name} `));
    if (group.length > 0) {
      throw new UsageError(
        `"${name}" needs a subcommand: ${group.map((c) => c.name).join(", ")}`,
      );
    }
    throw new UsageError(
      `unknown command "${name}"; the commands are ${COMMANDS.map((c) => c.name).join(", ")}`,
    );
  }
  return { command, taken: 1 };
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
      console.log(rest.length === 0 ? helpText() : formatCommandHelp(commandNamed(rest).command));
      return 0;
    }
    if (name === "--version" || name === "-V") {
      console.log(`p2pchat ${VERSION}`);
      return 0;
    }
    const { command, taken } = commandNamed(args);
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
