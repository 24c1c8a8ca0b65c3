/**
 * One sender's messages in one group, shown once and in the sender's order
 * (docs/protocol.md §13.3), whether they come over a link or as mail: each
 * carries the sender's sequence number. The next one due is shown at once,
 * with any held behind it; one ahead of a gap is held until the gap fills or
 * GAP_WAIT_MS pass; then what is held is shown and the missing numbers are
 * remembered as skipped, so that one of them arriving late is still shown
 * once (marked late) and never twice. A gap is given up on at once when
 * MAX_HELD_PER_SENDER wait behind it, or a message comes MAX_AHEAD or more
 * ahead (what is missing was lost, not delayed): a sender can only skip its
 * own numbers. Everything else is a duplicate: a message over a link and
 * again in the mail is shown once.
 *
 * @module
 */

/** How long a gap may hold a sender's later messages back. */
export const GAP_WAIT_MS = 30_000;
/** Most messages held behind a gap, per sender. */
export const MAX_HELD_PER_SENDER = 128;
/** Furthest ahead of the next one due a message may be. */
export const MAX_AHEAD = 1000;
/** Most runs of skipped numbers remembered per sender; the oldest go first. */
export const MAX_SKIPPED_RUNS = 32;

/** A message as the order sees it; `T` is whatever else the caller keeps with it. */
export type Sequenced<T> = { readonly seq: number; readonly item: T };

/** What to do with a message. */
export type Placed<T> =
  /** Show these, in order: the message, and those it released. */
  | { readonly show: readonly T[]; readonly late?: boolean }
  /** Seen already: show nothing (acknowledge it again). */
  | { readonly duplicate: true }
  /** Held behind a gap. */
  | { readonly held: true };

/** What is remembered of a sender across restarts. */
export type OrderState = { readonly next: number; readonly skipped: readonly [number, number][] };

/** The order of one sender's messages. */
export class SenderOrder<T> {
  #next: number;
  /** Runs [from, to] of numbers given up on: one arriving late is still shown once. */
  #skipped: [number, number][];
  readonly #held = new Map<number, T>();
  #heldSince: number | undefined;

  /** An order starting from `state` (a new sender: next 1, nothing skipped). */
  constructor(state: OrderState = { next: 1, skipped: [] }) {
    this.#next = state.next;
    this.#skipped = state.skipped.map(([a, b]) => [a, b]);
  }

  /** What to remember. */
  get state(): OrderState {
    return { next: this.#next, skipped: this.#skipped.map(([a, b]) => [a, b]) };
  }

  /** How many messages are held. */
  get held(): number {
    return this.#held.size;
  }

  /** When the oldest gap stops holding (ms), if one does. */
  get releaseAt(): number | undefined {
    return this.#heldSince === undefined ? undefined : this.#heldSince + GAP_WAIT_MS;
  }

  /** Places message `seq` arriving at `now`. */
  take(seq: number, item: T, now: number): Placed<T> {
    if (seq < this.#next) {
      const run = this.#skipped.findIndex(([a, b]) => seq >= a && seq <= b);
      if (run < 0) return { duplicate: true };
      const [a, b] = this.#skipped[run];
      this.#skipped.splice(
        run,
        1,
        ...([[a, seq - 1], [seq + 1, b]] as [number, number][])
          .filter(([x, y]) => x <= y),
      );
      return { show: [item], late: true };
    }
    if (this.#held.has(seq)) return { duplicate: true };
    if (seq > this.#next) {
      this.#held.set(seq, item);
      this.#heldSince ??= now;
      const lost = seq >= this.#next + MAX_AHEAD || this.#held.size > MAX_HELD_PER_SENDER;
      if (!lost) return { held: true };
      const shown = this.release(now, true);
      return shown.length > 0 ? { show: shown } : { held: true };
    }
    this.#next++;
    return { show: [item, ...this.#drain()] };
  }

  /** Gives up on the gap if it has held since before `now - GAP_WAIT_MS` (or `force`). */
  release(now: number, force = false): T[] {
    if (this.#heldSince === undefined) return [];
    if (!force && now < this.#heldSince + GAP_WAIT_MS) return [];
    const first = Math.min(...this.#held.keys());
    this.#skipped.push([this.#next, first - 1]);
    if (this.#skipped.length > MAX_SKIPPED_RUNS) this.#skipped.shift();
    this.#next = first;
    const shown = this.#drain();
    // What stays held waits behind a gap of its own, from now.
    if (this.#held.size > 0) this.#heldSince = now;
    return shown;
  }

  /** The held messages from the next one due on, in order; what stays held keeps its clock. */
  #drain(): T[] {
    const shown: T[] = [];
    for (
      let item = this.#held.get(this.#next);
      item !== undefined;
      item = this.#held.get(this.#next)
    ) {
      this.#held.delete(this.#next);
      shown.push(item);
      this.#next++;
    }
    if (this.#held.size === 0) this.#heldSince = undefined;
    return shown;
  }
}
