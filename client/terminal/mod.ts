/**
 * The client's interfaces: the terminal for people (events worded, network
 * text made safe, lines fitted to the terminal's width, a line editor) and
 * `--json` for scripts (one event per line).
 *
 * @example
 * ```ts
 * import { JsonSink } from "./mod.ts";
 *
 * new JsonSink().emit({ type: "current", peer: "bob" }); // {"type":"current","peer":"bob"}
 * ```
 *
 * @module
 */
export { JsonSink } from "./json_ui.ts";
export { TerminalUi } from "./terminal_ui.ts";
