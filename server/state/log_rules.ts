/**
 * What the directory logs of its binding decisions (docs/protocol.md §15.1),
 * once, for both stores: binding_rules.ts decides; these functions say which
 * log entries a decision makes, given what the log last said of the name
 * (its head: the map value after the name's last entry, sealed or not).
 *
 * A fresh binding (a name new to its key: never bound, lapsed, or bound to
 * no key) is a bind event with the name's count one more than the head's.
 * If the head still says bound (the binding lapsed by the rules but its
 * lapse was not logged yet), the lapse is logged first, so that the log
 * never binds a name twice without a lapse between. A binding collected or
 * found lapsed is a lapse event of the head's key and count. Writes that
 * are not fresh (a respelling, a last-use refresh) log nothing: the name's
 * key did not change.
 *
 * @example
 * ```ts
 * import { bindEvents } from "./log_rules.ts";
 *
 * const { entries } = bindEvents("bob", new Uint8Array(32), undefined, 1_000);
 * console.log(entries.map((e) => `${e.kind} ${e.count}`)); // ["bind 1"]
 * ```
 *
 * @module
 */
import type { LogEntry, MapValue } from "../../transparency/mod.ts";

/** What the log last says of a name: its map value after the name's last entry. */
export type LogHead = MapValue;

/** The entries a fresh binding of `name` to `key` at `now` logs, and the head after them. */
export function bindEvents(
  name: string,
  key: Uint8Array,
  head: LogHead | undefined,
  now: number,
): { entries: LogEntry[]; head: LogHead } {
  const entries: LogEntry[] = [];
  const lapse = lapseEvent(name, head, now);
  if (lapse) entries.push(lapse.entry);
  const count = (head?.count ?? 0) + 1;
  entries.push({ kind: "bind", name, key: key.slice(), time: now, count });
  return { entries, head: { state: "bound", count, key: key.slice() } };
}

/** The lapse of `name`'s binding at `now`, if the log says it is bound; else undefined. */
export function lapseEvent(
  name: string,
  head: LogHead | undefined,
  now: number,
): { entry: LogEntry; head: LogHead } | undefined {
  if (head?.state !== "bound") return undefined;
  return {
    entry: { kind: "lapse", name, key: head.key, time: now, count: head.count },
    head: { state: "lapsed", count: head.count, key: head.key },
  };
}
