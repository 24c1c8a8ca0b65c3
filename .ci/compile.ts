/**
 * `deno task compile [--target TRIPLE] [--output PATH]`: builds the standalone
 * binary with the least permissions p2pchat needs, declared once here.
 *
 * `deno compile` needs its runtime (denort) for the target: from $DENORT_BIN,
 * from Deno's download cache, or downloaded from dl.deno.land. When none of
 * them can be had, this says so and how to fix it, and leaves no empty output
 * directory behind.
 *
 * Read and write are not scoped to a path because the data directory is
 * chosen at run time (--home, $P2PCHAT_HOME, $XDG_CONFIG_HOME, ~), which a
 * compile-time flag cannot know.
 */
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { v8FlagsArgument } from "../server/mod.ts";

/** The permissions baked into the binary. */
export const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  // Not a list of names: ioredis's `debug` enumerates the whole environment as it loads
  // (`serve --store redis://…`), which a list refuses, failing the binary at that point.
  "--allow-env",
  // Own interface addresses, announced so that peers on the same network connect directly.
  "--allow-sys=networkInterfaces,uid,gid",
];

/** Where deno compile downloads its runtime from. */
const DOWNLOAD_HOST = "https://dl.deno.land";

/** Why the compile runtime for `target` cannot be had here, or null when it can. */
export async function compileRuntimeMissing(target?: string): Promise<string | null> {
  const denortBin = Deno.env.get("DENORT_BIN");
  if (denortBin) {
    try {
      await Deno.stat(denortBin);
      return null;
    } catch {
      return `DENORT_BIN is set to ${denortBin}, which does not exist; point it at a denort binary for Deno ${Deno.version.deno}`;
    }
  }
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const denoDir = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  const triple = target ?? Deno.build.target;
  try {
    await Deno.stat(
      join(denoDir, "dl", "release", `v${Deno.version.deno}`, `denort-${triple}.zip`),
    );
    return null;
  } catch {
    // Not cached: it must be downloaded.
  }
  try {
    const response = await fetch(`${DOWNLOAD_HOST}/`, {
      method: "HEAD",
      signal: AbortSignal.timeout(5000),
    });
    await response.body?.cancel();
    return null;
  } catch {
    return `deno compile needs its runtime (denort ${Deno.version.deno} for ${triple}), which is not ` +
      `cached and cannot be downloaded from ${DOWNLOAD_HOST} here. Run on a connected machine, or set ` +
      `DENORT_BIN to a denort binary (from the deno release archive for ${triple})`;
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { target: { type: "string" }, output: { type: "string", default: "dist/p2pchat" } },
  });
  const output = values.output!;
  const missing = await compileRuntimeMissing(values.target);
  if (missing) {
    console.error(`compile: ${missing}`);
    Deno.exit(1);
  }
  const outDir = dirname(output);
  const existed = await Deno.stat(outDir).then(() => true, () => false);
  const args = ["compile", ...PERMISSIONS, v8FlagsArgument(), "--output", output];
  // Loaded by URL at run time (a worker for the disk work of file transfers), so compile cannot
  // see it from main.ts.
  args.push("--include", new URL("../client/files/part_worker.ts", import.meta.url).pathname);
  if (values.target) args.push("--target", values.target);
  args.push(new URL("../main.ts", import.meta.url).pathname);
  const { code } = await new Deno.Command(Deno.execPath(), { args }).spawn().status;
  if (code !== 0 && !existed) {
    // deno compile makes the directory before it fails; leave nothing empty behind.
    await Deno.remove(outDir).catch(() => {});
  }
  Deno.exit(code);
}
