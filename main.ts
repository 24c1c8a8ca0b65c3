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
} from "./cli/command.ts";
import { idCommand } from "./client/id_command.ts";
import { connectCommand } from "./client/connect_command.ts";
import { serveCommand } from "./server/serve_command.ts";
import { errorMessage } from "./errors/mod.ts";
import config from "./deno.json" with { type: "json" };

/** The version printed by `--version`. */
export const VERSION: string = config.version;

// deno-lint-ignore no-explicit-any
const COMMANDS: Command<any>[] = [serveCommand, connectCommand, idCommand];

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

function commandNamed(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    throw new UsageError(
      `unknown command "${name}"; the commands are ${COMMANDS.map((c) => c.name).join(", ")}`,
    );
  }
  return command;
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
      console.log(rest.length === 0 ? helpText() : formatCommandHelp(commandNamed(rest[0])));
      return 0;
    }
    if (name === "--version" || name === "-V") {
      console.log(`p2pchat ${VERSION}`);
      return 0;
    }
    const command = commandNamed(name);
    running = command.name;
    if (rest.includes("--help") || rest.includes("-h")) {
      console.log(formatCommandHelp(command));
      return 0;
    }
    return await command.run(parseFlags(command, rest));
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
