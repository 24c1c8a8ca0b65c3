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

import { InvalidNameError } from "./errors.ts";

/** Longest name allowed. */
export const MAX_NAME_LENGTH = 32;
const ALLOWED = /^[A-Za-z0-9_.-]+$/;

/** Validates `text` as a name; throws InvalidNameError naming the rule broken. */
export function parseName(text: string): Name {
  if (typeof text !== "string" || text.length === 0) {
    throw new InvalidNameError("name-invalid", "Name is empty: choose 1 to 32 characters");
  }
  if (text.length > MAX_NAME_LENGTH) {
    throw new InvalidNameError(
      "name-invalid",
      `Name is ${text.length} characters long: at most ${MAX_NAME_LENGTH} are allowed`,
    );
  }
  if (!ALLOWED.test(text)) {
    throw new InvalidNameError(
      "name-invalid",
      "Name may contain only letters A-Z, digits, '_', '-' and '.'",
    );
  }
  return text as Name;
}

/** The key a name is unique under: `Alice` and `alice` are one name. */
export function nameKey(name: Name): NameKey {
  return name.toLowerCase() as NameKey;
}
