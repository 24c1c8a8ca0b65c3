/**
 * V8 settings `serve` runs with (`deno task serve`, the compiled binary, and
 * the load and soak benchmarks). A directory's heap is mostly sessions that
 * live as long as their users: V8's default lets the heap grow to about
 * twice what is live before it collects (~31 KiB of RSS per user at
 * 19,500), and `--optimize-for-size` keeps it compact (~13 KiB) but spends
 * so much on collecting that holding 19,500 users took 29% of a core and a
 * registration 3.7 ms. `--heap-growing-percent=15` lets the heap grow a
 * sixth before the next full collection, and `--max-semi-space-size=2`
 * (MiB) keeps the young generation small, since little of a session is
 * short-lived: 14.0 KiB per user, 8% of a core holding, 2.6 ms a
 * registration, in the same day's runs (bench/load.ts; README, Performance).
 *
 * @module
 */

/** Flags passed as `--v8-flags=` when running `serve`. */
export const SERVE_V8_FLAGS: readonly string[] = [
  "--heap-growing-percent=15",
  "--max-semi-space-size=2",
];

/** The `--v8-flags=…` argument for `deno run` or `deno compile`. */
export function v8FlagsArgument(): string {
  return `--v8-flags=${SERVE_V8_FLAGS.join(",")}`;
}
