/**
 * Group titles and how a command names a group (docs/cli.md, Groups): a
 * title follows the rules of names (so nothing an admin picks can command a
 * terminal or pass for another title by spelling), and `#TITLE` names the
 * group with that title among your own, compared without regard to case,
 * else `#` and a prefix of its 128-bit id (at least MIN_ID_PREFIX digits).
 *
 * @module
 */
import { InvalidNameError, parseName } from "../../protocol/mod.ts";
import type { ClientProblem } from "../core/mod.ts";

/** A group's title, validated: the label people type after `#`. */
export type Title = string & { readonly __brand: "Title" };

/** Shortest id prefix that names a group (`#3fa2`). */
export const MIN_ID_PREFIX = 4;

/** `text` as a title; the problem when it breaks the rule. */
export function parseTitle(text: string): Title | ClientProblem {
  const bare = text.startsWith("#") ? text.slice(1) : text;
  try {
    return parseName(bare) as string as Title;
  } catch (error) {
    if (!(error instanceof InvalidNameError)) throw error;
    return { code: "bad-command", problem: "bad-title", title: [...bare].slice(0, 40).join("") };
  }
}

/** Whether `value` is a title (as a decoder check). */
export function isTitle(value: unknown): value is Title {
  return typeof value === "string" && typeof parseTitle(value) === "string";
}

/** What a reference can pick among: a group's id and title. */
export type Named = { readonly id: string; readonly title: string };

/**
 * The one entry `ref` (`#team`, `#3fa2`) names among `entries`: by title
 * (folded), else by id prefix; the problem when none or several match.
 */
export function resolveGroup<T extends Named>(
  ref: string,
  entries: readonly T[],
): T | ClientProblem {
  const bare = ref.startsWith("#") ? ref.slice(1) : ref;
  const folded = bare.toLowerCase();
  const byTitle = entries.filter((e) => e.title.toLowerCase() === folded);
  const hits = byTitle.length > 0
    ? byTitle
    : folded.length >= MIN_ID_PREFIX && /^[0-9a-f]+$/.test(folded)
    ? entries.filter((e) => e.id.startsWith(folded))
    : [];
  if (hits.length === 1) return hits[0];
  const shown = [...bare].slice(0, 40).join("");
  if (hits.length === 0) return { code: "unknown-group", problem: "unknown-group", ref: shown };
  return {
    code: "unknown-group",
    problem: "ambiguous-group",
    ref: shown,
    ids: hits.map((e) => e.id.slice(0, 8)),
  };
}
