/**
 * The directory server: the `serve` and `store copy` subcommands, and the
 * V8 flags `serve` runs with.
 *
 * @example
 * ```ts
 * import { serveCommand } from "./mod.ts";
 *
 * console.log(serveCommand.name, "-", serveCommand.summary);
 * ```
 *
 * @module
 */
export { SERVE_V8_FLAGS, v8FlagsArgument } from "./v8_flags.ts";
export { serveCommand } from "./serve_command.ts";
export { storeCopyCommand } from "./store_command.ts";
