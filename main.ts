/**
 * p2pchat: end-to-end encrypted peer-to-peer chat for the terminal.
 * This file only dispatches subcommands; it is the one place that exits.
 *
 * @module
 */
import { type Command, formatCommandHelp, parseFlags, UsageError } from "./cli/command.ts";
import { idCommand } from "./client/id_command.ts";
import { connectCommand } from "./client/connect_command.ts";
import { serveCommand } from "./server/serve_command.ts";
import config from "./deno.json" with { type: "json" };

/** The version printed by `--version`. */
export const VERSION: string = config.version;

// deno-lint-ignore no-explicit-any
const COMMANDS: Command<any>[] = [serveCommand, connectCommand, idCommand];

/** The full help text. */
export function helpText(): string {
  return [
    `p2pchat ${VERSION}: end-to-end encrypted peer-to-peer chat for the terminal`,
    "",
    "Usage: p2pchat <command> [flags]",
    "       p2pchat <command> --help",
    "       p2pchat --help | --version",
    "",
    "Commands:",
    ...COMMANDS.map(formatCommandHelp),
    "",
  ].join("\n");
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
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? console.error : console.log)(helpText());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    console.log(`p2pchat ${VERSION}`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) {
      throw new UsageError(`unknown command "${name}"; run p2pchat --help for the list`);
    }
    if (rest.includes("--help") || rest.includes("-h")) {
      console.log(`Usage: p2pchat ${command.name} [flags]\n\n${formatCommandHelp(command)}`);
      return 0;
    }
    return await command.run(parseFlags(command, rest));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(
        `p2pchat: ${error.message}\nUsage: p2pchat <command> [flags]; see p2pchat --help`,
      );
      return 2;
    }
    console.error(`p2pchat: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
