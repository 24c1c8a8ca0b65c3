/**
 * V8 settings `serve` runs with (`deno task serve`, the compiled binary, and
 * the load and soak benchmarks). `--optimize-for-size` keeps the heap
 * compact: at 19,500 users it took the server from ~31 KiB to ~16 KiB of RSS
 * per user (653 to 364 MiB), for ~1/4 fewer registrations per second and
 * more CPU spent collecting garbage (bench/load.ts; README, Performance).
 * A directory on a small machine runs out of memory before it runs out of CPU.
 *
 * @module
 */

/** Flags passed as `--v8-flags=` when running `serve`. */
export const SERVE_V8_FLAGS: readonly string[] = ["--optimize-for-size"];

/** The `--v8-flags=…` argument for `deno run` or `deno compile`. */
export function v8FlagsArgument(): string {
  return `--v8-flags=${SERVE_V8_FLAGS.join(",")}`;
}
