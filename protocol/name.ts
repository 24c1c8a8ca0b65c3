/**
 * User names (docs/protocol.md §9.3): 1 to 32 characters from
 * `A-Z a-z 0-9 _ - .`, starting and ending with a letter or digit, unique
 * without regard to case. ASCII only, and a name whose confusable skeleton
 * matches another key's name is refused (nameSkeleton()), so that two names
 * that look alike on screen cannot belong to two people.
 *
 * @module
 */
import { InvalidNameError } from "./errors.ts";

/** A validated name, as its owner spelled it. */
export type Name = string & { readonly __brand: "Name" };
/** The case-folded form names are unique under. */
export type NameKey = string & { readonly __brand: "NameKey" };
/** The confusable skeleton: names with equal skeletons look alike. */
export type NameSkeleton = string & { readonly __brand: "NameSkeleton" };

/** Longest name allowed. */
export const MAX_NAME_LENGTH = 32;
/** The whole rule, in the words every refusal uses. */
export const NAME_RULE: string =
  `a name is 1 to ${MAX_NAME_LENGTH} characters of letters A-Z and a-z, digits, "_", "-" and ".", ` +
  "starting and ending with a letter or digit";
const ALLOWED = /^[A-Za-z0-9_.-]$/;
const ALPHANUMERIC = /^[A-Za-z0-9]$/;

/** A character as a person can read it in a message: `"!"`, or `U+00E5` when not printable ASCII. */
function describe(char: string): string {
  const code = char.codePointAt(0)!;
  return code >= 0x21 && code <= 0x7e
    ? `"${char}"`
    : `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Validates `text` as a name; throws InvalidNameError naming the offending character and the rule. */
export function parseName(text: string): Name {
  if (typeof text !== "string" || text.length === 0) {
    throw new InvalidNameError("name-invalid", `The name is empty: ${NAME_RULE}`);
  }
  const chars = [...text];
  if (chars.length > MAX_NAME_LENGTH) {
    throw new InvalidNameError(
      "name-invalid",
      `The name is ${chars.length} characters long: ${NAME_RULE}`,
    );
  }
  const bad = chars.findIndex((char) => !ALLOWED.test(char));
  if (bad >= 0) {
    throw new InvalidNameError(
      "name-invalid",
      `The name has ${describe(chars[bad])} at position ${bad + 1}: ${NAME_RULE}`,
    );
  }
  for (const [position, char] of [[1, chars[0]], [chars.length, chars.at(-1)!]] as const) {
    if (!ALPHANUMERIC.test(char)) {
      throw new InvalidNameError(
        "name-invalid",
        `The name ${position === 1 ? "starts" : "ends"} with ${describe(char)}: ${NAME_RULE}`,
      );
    }
  }
  return text as Name;
}

/**
 * Whether `text` followed the rules of names bound before names had to start
 * and end with a letter or digit (the characters and the length only). The
 * directory still lets the owner of such a binding register it.
 */
export function isLegacyName(text: string): text is Name {
  return typeof text === "string" && text.length >= 1 && text.length <= MAX_NAME_LENGTH &&
    /^[A-Za-z0-9_.-]+$/.test(text);
}

/** The key a name is unique under: `Alice` and `alice` are one name. */
export function nameKey(name: Name): NameKey {
  return name.toLowerCase() as NameKey;
}

// Characters and pairs that look alike in common terminal fonts, folded to one
// representative, in the spirit of Unicode TS #39's confusable skeletons
// restricted to the ASCII that names allow.
const LOOKALIKE_PAIRS: readonly [RegExp, string][] = [
  [/rn/g, "m"],
  [/vv/g, "w"],
  [/cl/g, "d"],
];
// No two digits map to one letter, so numbered names (user6, user8) stay apart.
const LOOKALIKE_CHARS: Readonly<Record<string, string>> = {
  "0": "o",
  "1": "l",
  "i": "l",
  "5": "s",
  "_": "-",
  ".": "-",
};

/**
 * The confusable skeleton of a name: case-folded, with look-alike
 * characters (`0`/`o`, `1`/`l`/`i`/`I`, `5`/`s`, `rn`/`m`, `_`/`-`/`.`, …)
 * mapped together. Two names with one skeleton look alike on screen.
 */
export function nameSkeleton(name: Name): NameSkeleton {
  let folded = name.toLowerCase();
  for (const [pair, single] of LOOKALIKE_PAIRS) folded = folded.replace(pair, single);
  let out = "";
  for (const char of folded) out += LOOKALIKE_CHARS[char] ?? char;
  return out as NameSkeleton;
}
