import { dirname, join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { MAIN } from "../harness/run_cli.ts";
import config from "../deno.json" with { type: "json" };

/** Why the compile runtime (denort) cannot be had, or null when it can. */
async function denortMissing(): Promise<string | null> {
  if (Deno.env.get("DENORT_BIN")) return null;
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  })
    .output();
  const denoDir = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  try {
    for await (
      const entry of Deno.readDir(join(denoDir, "dl", "release", `v${Deno.version.deno}`))
    ) {
      if (entry.name.startsWith("denort")) return null;
    }
  } catch {
    // No download cache at all.
  }
  return "deno compile needs its runtime (denort), which is not cached and cannot be downloaded here; " +
    "set DENORT_BIN or run on a connected machine";
}

const missing = await denortMissing();
if (missing) console.warn(`compile_test skipped: ${missing}`);

Deno.test({
  name: "deno task compile builds a binary that prints the version",
  ignore: missing !== null,
  async fn() {
    const out = await Deno.makeTempDir();
    try {
      const binary = join(out, "p2pchat");
      const compiled = await new Deno.Command(Deno.execPath(), {
        args: ["task", "compile", "--output", binary],
        cwd: dirname(MAIN),
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(compiled.code, 0, new TextDecoder().decode(compiled.stderr));
      const run = await new Deno.Command(binary, { args: ["--version"], stdout: "piped" }).output();
      assert(new TextDecoder().decode(run.stdout).includes(config.version));
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
