/**
 * What the log holds and what the map says (docs/protocol.md §15.1, §15.2),
 * byte by byte, and the rules an honest log follows, which a directory's
 * sealer and every auditor apply alike.
 *
 * An entry is a binding event (a folded name bound to a key) or a lapse
 * event (that binding expired), with the time and the name's bind count:
 *
 *     kind    0x01 bind, 0x02 lapse                          (1)
 *     count   binds of this name so far, this one included   (4, big-endian)
 *     time    ms since the epoch                             (8, big-endian)
 *     key     the Ed25519 key bound (lapse: the one lapsing) (32)
 *     length  of the name                                    (1)
 *     name    folded (lower case), 1 to 32 of a-z 0-9 _ - .  (length)
 *
 * The map's value for a name is what the log's last entry for it says:
 *
 *     state   0x01 bound, 0x02 lapsed                        (1)
 *     count   as in that entry                               (4, big-endian)
 *     key     as in that entry                               (32)
 *
 * The rules: a bind comes only for a name never bound or lapsed, with the
 * count one more than before; a lapse only for a name bound, with its key
 * and count. So the count of a name never goes down and rises by one with
 * each bind: a directory that bound a name to another key and back cannot
 * show its owner the count it saw before.
 *
 * @example
 * ```ts
 * import { decodeEntry, encodeEntry, valueAfter } from "./log_entry.ts";
 *
 * const entry = { kind: "bind", name: "alice", key: new Uint8Array(32), time: 0, count: 1 } as const;
 * console.log(decodeEntry(encodeEntry(entry))?.name); // "alice"
 * console.log(valueAfter(null, entry)); // { state: "bound", count: 1, key: Uint8Array(32) }
 * ```
 *
 * @module
 */

/** Length of a key in an entry or a value (Ed25519). */
export const KEY_LENGTH = 32;
/** Longest folded name an entry holds. */
export const MAX_ENTRY_NAME = 32;
/** An entry's length without its name. */
const ENTRY_FIXED = 1 + 4 + 8 + KEY_LENGTH + 1;
/** Longest entry. */
export const MAX_ENTRY_LENGTH: number = ENTRY_FIXED + MAX_ENTRY_NAME;
/** Length of a map value. */
export const VALUE_LENGTH: number = 1 + 4 + KEY_LENGTH;
/** Highest bind count an entry can carry. */
export const MAX_COUNT = 0xffff_ffff;

const KINDS = { bind: 0x01, lapse: 0x02 } as const;
const STATES = { bound: 0x01, lapsed: 0x02 } as const;
const FOLDED = /^[a-z0-9_.-]{1,32}$/;

/** One event of the log. */
export type LogEntry = {
  readonly kind: "bind" | "lapse";
  /** The folded name. */
  readonly name: string;
  /** The raw Ed25519 key bound, or the one whose binding lapsed. */
  readonly key: Uint8Array;
  /** When, in ms since the epoch. */
  readonly time: number;
  /** The name's binds so far, this one included. */
  readonly count: number;
};

/** What the map holds for a name: its last entry's state, count and key. */
export type MapValue = {
  readonly state: "bound" | "lapsed";
  readonly count: number;
  readonly key: Uint8Array;
};

/** An entry's bytes. RangeError for an entry no decoder would take back. */
export function encodeEntry(entry: LogEntry): Uint8Array {
  const name = new TextEncoder().encode(entry.name);
  if (!FOLDED.test(entry.name)) throw new RangeError(`Not a folded name: ${entry.name}`);
  if (entry.key.length !== KEY_LENGTH) throw new RangeError("A key in the log is 32 bytes");
  if (!Number.isSafeInteger(entry.time) || entry.time < 0) {
    throw new RangeError("An entry's time is in ms since the epoch");
  }
  if (!Number.isInteger(entry.count) || entry.count < 1 || entry.count > MAX_COUNT) {
    throw new RangeError(`A bind count is 1 to ${MAX_COUNT}`);
  }
  const bytes = new Uint8Array(ENTRY_FIXED + name.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = KINDS[entry.kind];
  view.setUint32(1, entry.count);
  view.setBigUint64(5, BigInt(entry.time));
  bytes.set(entry.key, 13);
  bytes[45] = name.length;
  bytes.set(name, 46);
  return bytes;
}

/** The entry `bytes` holds, or null when they are not exactly one well-formed entry. */
export function decodeEntry(bytes: Uint8Array): LogEntry | null {
  if (!(bytes instanceof Uint8Array) || bytes.length < ENTRY_FIXED + 1) return null;
  if (bytes.length !== ENTRY_FIXED + bytes[45]) return null;
  const kind = bytes[0] === KINDS.bind ? "bind" : bytes[0] === KINDS.lapse ? "lapse" : null;
  if (kind === null) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(1);
  const time = view.getBigUint64(5);
  if (count < 1 || time > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  const name = String.fromCharCode(...bytes.subarray(46));
  if (!FOLDED.test(name)) return null;
  return { kind, name, key: bytes.slice(13, 45), time: Number(time), count };
}

/** A value's bytes. */
export function encodeValue(value: MapValue): Uint8Array {
  if (value.key.length !== KEY_LENGTH) throw new RangeError("A key in the map is 32 bytes");
  if (!Number.isInteger(value.count) || value.count < 1 || value.count > MAX_COUNT) {
    throw new RangeError(`A bind count is 1 to ${MAX_COUNT}`);
  }
  const bytes = new Uint8Array(VALUE_LENGTH);
  bytes[0] = STATES[value.state];
  new DataView(bytes.buffer).setUint32(1, value.count);
  bytes.set(value.key, 5);
  return bytes;
}

/** The value `bytes` holds, or null when they are not exactly one. */
export function decodeValue(bytes: Uint8Array): MapValue | null {
  if (!(bytes instanceof Uint8Array) || bytes.length !== VALUE_LENGTH) return null;
  const state = bytes[0] === STATES.bound ? "bound" : bytes[0] === STATES.lapsed ? "lapsed" : null;
  const count = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  if (state === null || count < 1) return null;
  return { state, count, key: bytes.slice(5) };
}

/** Which rule an entry breaks. */
export type RuleBroken =
  /** A bind of a name bound already (its lapse was never logged). */
  | "bind-while-bound"
  /** A bind whose count is not one more than the name's. */
  | "bind-count"
  /** A lapse of a name not bound. */
  | "lapse-unbound"
  /** A lapse whose key or count is not the binding's. */
  | "lapse-mismatch";

/**
 * The name's value after `entry`, given its value before (null: never
 * bound), or the rule the entry breaks.
 */
export function valueAfter(
  before: MapValue | null,
  entry: LogEntry,
): MapValue | { readonly broken: RuleBroken } {
  if (entry.kind === "bind") {
    if (before?.state === "bound") return { broken: "bind-while-bound" };
    if (entry.count !== (before?.count ?? 0) + 1) return { broken: "bind-count" };
    return { state: "bound", count: entry.count, key: entry.key };
  }
  if (before?.state !== "bound") return { broken: "lapse-unbound" };
  if (entry.count !== before.count || !sameBytes(entry.key, before.key)) {
    return { broken: "lapse-mismatch" };
  }
  return { state: "lapsed", count: entry.count, key: entry.key };
}

/** The value an entry leaves, whatever came before (what the map holds after it). */
export function valueOf(entry: LogEntry): MapValue {
  return { state: entry.kind === "bind" ? "bound" : "lapsed", count: entry.count, key: entry.key };
}

/** Whether two byte strings are equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
