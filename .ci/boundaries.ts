/**
 * CI's boundary check: every import of another folder's code goes through
 * that folder's `mod.ts` (README, "Layout"), and every `mod.ts` documents its
 * folder with an `@example`. Tests beside the code may
 * import the internals of their own folder, and any test may use the test
 * helpers in `tests/` and `harness/`. Prints each import that reaches past
 * a `mod.ts` and exits 1 if there is one.
 *
 * Run: deno run --allow-read .ci/boundaries.ts
 *
 * @module
 */
import { dirname, join, normalize, relative } from "node:path";

/** Folders of test and benchmark tooling: not product code, free to be imported by tests. */
const TOOLING = ["tests", "harness", "bench", ".ci"];

const IMPORT = /(?:import|export)[^"';]*?from\s*"(\.{1,2}\/[^"]+\.ts)"/gs;

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) {
      if (![".git", "node_modules", "dist", ".tools"].includes(entry.name)) yield* sources(path);
    } else if (entry.name.endsWith(".ts")) {
      yield relative(".", path);
    }
  }
}

const top = (path: string): string => path.split("/")[0];
const isTooling = (path: string): boolean =>
  TOOLING.includes(top(path)) || path.split("/").includes("testdata");
const isTest = (path: string): boolean => /_test\.ts$/.test(path) || isTooling(path);

/** Why the import of `target` from `file` breaks the rule, or null when it keeps it. */
export function violation(file: string, target: string): string | null {
  if (dirname(target) === dirname(file)) return null;
  if (target.endsWith("/mod.ts") || target === "main.ts") return null;
  if (isTooling(target)) return isTest(file) ? null : "product code imports test tooling";
  return `reaches past ${join(dirname(target), "mod.ts")}`;
}

if (import.meta.main) {
  let bad = 0;
  for await (const file of sources(".")) {
    const text = await Deno.readTextFile(file);
    // A folder's way in documents the folder, with an example of its use.
    if (file.endsWith("mod.ts") && !isTooling(file) && !/@example[\s\S]*@module/.test(text)) {
      console.log(`${file}: its module doc has no @example`);
      bad++;
    }
    for (const match of text.matchAll(IMPORT)) {
      const target = normalize(join(dirname(file), match[1]));
      const why = violation(file, target);
      if (why) {
        console.log(`${file}: imports ${target}: ${why}`);
        bad++;
      }
    }
  }
  if (bad > 0) {
    console.log(`${bad} boundary problems (imports past a mod.ts, or a mod.ts without an example)`);
    Deno.exit(1);
  }
}
