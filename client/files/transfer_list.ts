/**
 * Transfers as `/files` lists them, and finding one by the id shown (a
 * unique prefix is enough, in any case).
 *
 * @module
 */
import type { FileState, ListedTransfer } from "../core/mod.ts";
import { Receiving } from "./receiving.ts";
import type { Sending } from "./sending.ts";

/** How many hex digits of an id people are shown (and can type back). */
export const SHOWN_ID_DIGITS = 8;

/** Where `t` is. */
function stateOf(t: Sending | Receiving): FileState {
  if (t.outcome) return t.outcome.kind === "done" ? "done" : "failed";
  if (t instanceof Receiving) {
    if (t.machine.offered) return "offered";
    return t.machine.bytes === t.offer.size && t.machine.have.full ? "checking" : "receiving";
  }
  if (t.machine.accepted) return "sending";
  if (t.machine.active) return "offered";
  return t.machine.ready ? "waiting" : "preparing";
}

/** `t` as `/files` lists it. */
export function listed(t: Sending | Receiving): ListedTransfer {
  const { name, size } = t instanceof Receiving ? t.offer : t.file;
  const entry: ListedTransfer = {
    peer: t.peer,
    id: t.id,
    name,
    size,
    direction: t.direction,
    state: stateOf(t),
    bytes: t.outcome?.kind === "done" ? size : t.progress.bytes,
  };
  if (t.outcome?.kind === "failed") entry.reason = t.outcome.reason;
  return entry;
}

/** The transfers of `all` whose id starts with `prefix` (any case). */
export function matching<T extends { id: string }>(all: readonly T[], prefix: string): T[] {
  const wanted = prefix.toLowerCase();
  return all.filter((t) => t.id.startsWith(wanted));
}
