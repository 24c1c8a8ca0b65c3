/**
 * User names: 1 to 32 characters from `A-Z a-z 0-9 _ - .`, unique without
 * regard to case. Only ASCII, so that no two names look alike on screen.
 *
 * @module
 */

/** A validated name, as its owner spelled it. */
export type Name = string & { readonly __brand: "Name" };
/** The case-folded form names are unique under. */
export type NameKey = string & { readonly __brand: "NameKey" };

/** Longest name allowed. */
export const MAX_NAME_LENGTH = 32;
const ALLOWED = /^[A-Za-z0-9_.-]+$/;

/** A name that breaks a rule; the message says which and how to fix it. */
export class InvalidNameError extends Error {
  readonly code = "name-invalid";
  constructor(message: string) {
    super(message);
    this.name = "InvalidNameError";
  }
}

/** Validates `text` as a name; throws InvalidNameError naming the rule broken. */
export function parseName(text: string): Name {
  if (typeof text !== "string" || text.length === 0) {
    throw new InvalidNameError("Name is empty: choose 1 to 32 characters");
  }
  if (text.length > MAX_NAME_LENGTH) {
    throw new InvalidNameError(
      `Name is ${text.length} characters long: at most ${MAX_NAME_LENGTH} are allowed`,
    );
  }
  if (!ALLOWED.test(text)) {
    throw new InvalidNameError("Name may contain only letters A-Z, digits, '_', '-' and '.'");
  }
  return text as Name;
}

/** The key a name is unique under: `Alice` and `alice` are one name. */
export function nameKey(name: Name): NameKey {
  return name.toLowerCase() as NameKey;
}
