/**
 * The chat client: the `connect`, `id` and `audit` subcommands, and what
 * `main.ts` and the tests need of it.
 *
 * @example
 * ```ts
 * import { idCommand } from "./mod.ts";
 *
 * console.log(idCommand.name, "-", idCommand.summary);
 * ```
 *
 * @module
 */
export { type RelayMode } from "./connect_options.ts";
export { idCommand } from "./id_command.ts";
export { connectCommand } from "./connect_command.ts";
// Key transparency (docs/protocol.md §15.8).
export { auditCommand } from "./audit/mod.ts";
