/**
 * What every subcommand shares: flags declared once per command, parsed
 * with `node:util` into typed values and turned into help, and the parsers
 * and formatters of flag values (durations, sizes, host:port lists).
 *
 * @example
 * ```ts
 * import { parseDuration, parseHostPort } from "./mod.ts";
 *
 * console.log(parseDuration("idle-timeout", "30s")); // 30000
 * console.log(parseHostPort("metrics", ":9447", "127.0.0.1")); // { hostname: "127.0.0.1", port: 9447 }
 * ```
 *
 * @module
 */
export {
  type Command,
  type FlagValues,
  formatCommandHelp,
  formatCommandLine,
  parseFlags,
  UsageError,
} from "./command.ts";
export {
  formatDuration,
  formatSize,
  parseChoice,
  parseDuration,
  parseHostPort,
  parseInteger,
  parseServerList,
  parseSize,
} from "./values.ts";
