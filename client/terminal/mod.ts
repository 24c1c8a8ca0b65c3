/**
 * The client's interfaces: the terminal for people (events worded, network
 * text made safe, lines fitted to the terminal's width, our own line editor
 * that counts the input's cells as the output does) and `--json` for
 * scripts (one event per line). `cellWidth` is that count, for whoever
 * must fit text to a terminal (the terminal tests measure the screen by it).
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
export { cellWidth } from "./cell_width.ts";
export { jsonLine, JsonSink } from "./json_ui.ts";
export {
  ANOTHER_NAME_QUESTION,
  closedWords,
  identityCreatedWords,
  NAME_NEEDED,
  NAME_QUESTION,
  noticeWords,
  type PromptView,
  promptWords,
  warningWords,
} from "./words.ts";
export { clientProblemWords, type ErrorEvent, errorText, errorWords } from "./error_words.ts";
export { worded, wordedSink } from "./worded_sink.ts";
export { TerminalUi } from "./terminal_ui.ts";
// Key transparency (docs/protocol.md §15.8): what `p2pchat audit` prints.
export { auditWords, type AuditWordsInput, evidenceWords } from "./audit_words.ts";
