/**
 * Strict decoding of one JSON object from the network, in one place and one
 * error style for every decoder (the directory protocol, the peer protocol,
 * the bodies of sealed mail): the size is bounded before parsing, the value
 * must be an object, and each field is read with a check and a description
 * of what it must be. Any fault is thrown as the caller's own error type,
 * with a message naming the field (`"time" must be a time a date can hold`)
 * and never echoing the input.
 *
 * @example
 * ```ts
 * import { checks, JsonObject } from "./json_object.ts";
 *
 * const bytes = new TextEncoder().encode('{"type":"ping","id":7}');
 * const o = JsonObject.parse(bytes, { limit: 1024, fail: (m) => new TypeError(m) });
 * console.log(o.field("id", checks.id, "a non-negative integer")); // 7
 * ```
 *
 * @module
 */

/** A check that narrows an unknown value. */
export type Check<T> = (value: unknown) => value is T;

/** Latest time a Date can hold (ECMA-262 §21.4.1.1), in ms either side of the epoch. */
const MAX_DATE_MS = 8.64e15;

/** The checks the decoders share. */
export const checks = {
  string: (v: unknown): v is string => typeof v === "string",
  boolean: (v: unknown): v is boolean => typeof v === "boolean",
  /** A non-negative safe integer: a request id, say. */
  id: (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0,
  /** A time in ms since the epoch that a Date can hold (negative too). */
  dateTime: (v: unknown): v is number =>
    Number.isInteger(v) && Math.abs(v as number) <= MAX_DATE_MS,
  /** A string of at most `max` UTF-16 code units. */
  shortString: (max: number) => (v: unknown): v is string =>
    typeof v === "string" && v.length <= max,
  /** One of `values`. */
  oneOf: <T extends string>(values: readonly T[]) => (v: unknown): v is T =>
    typeof v === "string" && (values as readonly string[]).includes(v),
  /** Exactly `digits` lower-case hex digits. */
  hex: (digits: number) => {
    const form = new RegExp(`^[0-9a-f]{${digits}}$`);
    return (v: unknown): v is string => typeof v === "string" && form.test(v);
  },
  /** Base64 of at most `max` characters. */
  base64: (max: number) => (v: unknown): v is string =>
    typeof v === "string" && v.length <= max && /^[A-Za-z0-9+/]*={0,2}$/.test(v),
};

const decoder = new TextDecoder("utf-8", { fatal: true });

/** One decoded JSON object, read field by field. */
export class JsonObject {
  /** The object's own fields, unchecked. */
  readonly fields: Readonly<Record<string, unknown>>;
  readonly #fail: (message: string) => Error;

  /** Wraps an already parsed object; `fail` makes the error for a bad field. */
  constructor(fields: Record<string, unknown>, fail: (message: string) => Error) {
    this.fields = fields;
    this.#fail = fail;
  }

  /**
   * Parses `bytes` (at most `limit`) as UTF-8 JSON that must be an object;
   * every fault, here or in a later field, is thrown as `fail(message)`.
   */
  static parse(
    bytes: Uint8Array,
    options: { limit: number; fail: (message: string) => Error },
  ): JsonObject {
    if (bytes.length > options.limit) {
      throw options.fail(`a message of ${bytes.length} bytes exceeds ${options.limit}`);
    }
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(bytes));
    } catch {
      throw options.fail("a message that is not UTF-8 JSON");
    }
    return JsonObject.from(value, "the message", options.fail);
  }

  /** `value` as an object (`what` names it in the error), or `fail`. */
  static from(value: unknown, what: string, fail: (message: string) => Error): JsonObject {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw fail(`${what} is not a JSON object`);
    }
    return new JsonObject(value as Record<string, unknown>, fail);
  }

  /** Field `name`, which must pass `check` (`what` says what it must be). */
  field<T>(name: string, check: Check<T>, what: string): T {
    const value = this.fields[name];
    if (!check(value)) throw this.#fail(`"${name}" must be ${what}`);
    return value;
  }

  /** Field `name` if present (not undefined), checked as field() does. */
  optional<T>(name: string, check: Check<T>, what: string): T | undefined {
    return this.fields[name] === undefined ? undefined : this.field(name, check, what);
  }

  /** Field `name` as an object of its own. */
  object(name: string): JsonObject {
    return JsonObject.from(this.fields[name], `"${name}"`, this.#fail);
  }

  /** Field `name` as a list of at most `max` entries, each read by `each`. */
  list<T>(name: string, max: number, each: (value: unknown) => T): T[] {
    const value = this.fields[name];
    if (!Array.isArray(value) || value.length > max) {
      throw this.#fail(`"${name}" must be a list of at most ${max}`);
    }
    return value.map(each);
  }

  /** The error a decoder throws for a rule of its own (an unknown type, say). */
  fail(message: string): Error {
    return this.#fail(message);
  }
}
