import { dirname, join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { MAIN } from "../harness/run_cli.ts";
import config from "../deno.json" with { type: "json" };
import { compileRuntimeMissing, PERMISSIONS } from "../.ci/compile.ts";
import { redisMissing, startRedis } from "../harness/redis_process.ts";
import { startServe } from "../harness/serve_process.ts";
import { startClient } from "../harness/client_process.ts";

const missing = await compileRuntimeMissing();
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

Deno.test({
  name: "deno task compile without its runtime says so and how to fix it, and leaves no dist/",
  ignore: missing === null,
  async fn() {
    const root = dirname(MAIN);
    const out = join(await Deno.makeTempDir(), "dist");
    const compiled = await new Deno.Command(Deno.execPath(), {
      args: ["task", "compile", "--output", join(out, "p2pchat")],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(compiled.stderr);
    assertEquals(compiled.code, 1);
    assert(stderr.includes("compile: deno compile needs its runtime"), stderr);
    assert(stderr.includes("DENORT_BIN"), stderr);
    assertEquals(await Deno.stat(out).then(() => "exists", () => "absent"), "absent");
    await Deno.remove(dirname(out), { recursive: true });
  },
});

// The binary's permissions are baked in at compile time, so every command must run under exactly
// them; this runs without the compile runtime, through `deno run` with the same flags.
const redisAbsent = redisMissing();
Deno.test("the compiled binary's permissions are enough: --version, a client that registers, and serve on SQLite and on Redis", async () => {
  const version = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, "--quiet", MAIN, "--version"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(version.code, 0, new TextDecoder().decode(version.stderr));
  assert(new TextDecoder().decode(version.stdout).includes(config.version));
  const redis = redisAbsent ? undefined : await startRedis();
  const server = await startServe({
    permissions: PERMISSIONS,
    args: redis ? ["--store", redis.url] : [],
  });
  try {
    const client = await startClient("perm", server.port, { permissions: PERMISSIONS });
    await client.waitFor((e) => e.type === "ready");
    assertEquals(await client.quit(), 0, client.stderr.join("\n"));
  } finally {
    await server.stop();
    await redis?.stop();
  }
});
