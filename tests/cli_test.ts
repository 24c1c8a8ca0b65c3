import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { runCli } from "../harness/run_cli.ts";
import config from "../deno.json" with { type: "json" };

Deno.test("--help lists every subcommand with its flags and an example, exit 0", async () => {
  const { code, stdout } = await runCli(["--help"]);
  assertEquals(code, 0);
  for (const word of ["serve", "connect", "id", "--home", "example: p2pchat id"]) {
    assert(stdout.includes(word), `help mentions ${word}`);
  }
});

Deno.test("--version prints the version from deno.json", async () => {
  const { code, stdout } = await runCli(["--version"]);
  assertEquals(code, 0);
  assertEquals(stdout.trim(), `p2pchat ${config.version}`);
});

Deno.test("an unknown subcommand is a usage error on stderr with exit 2", async () => {
  const { code, stdout, stderr } = await runCli(["frobnicate"]);
  assertEquals(code, 2);
  assertEquals(stdout, "");
  assert(stderr.includes('unknown command "frobnicate"'));
});

Deno.test("an unknown flag is a usage error on stderr with exit 2", async () => {
  const { code, stderr } = await runCli(["id", "--colour"]);
  assertEquals(code, 2);
  assert(stderr.includes("unknown flag --colour"), stderr);
});

Deno.test("id creates the identity once and prints the same fingerprint each time", async () => {
  const home = await Deno.makeTempDir();
  try {
    const first = await runCli(["id", "--home", home]);
    assertEquals(first.code, 0);
    assert(first.stderr.includes("Created a new identity"));
    assert(/^([0-9a-f]{4} ){15}[0-9a-f]{4}\n$/.test(first.stdout), first.stdout);
    const second = await runCli(["id"], { P2PCHAT_HOME: home });
    assertEquals(second.stdout, first.stdout);
    assertEquals(second.stderr, "");
    const key = await Deno.readTextFile(join(home, "identity.key"));
    const d = JSON.parse(key).d as string;
    assert(
      !first.stdout.includes(d) && !first.stderr.includes(d),
      "the private key is never printed",
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("id refuses an identity file others can read, naming the file and the fix", async () => {
  const home = await Deno.makeTempDir();
  try {
    await runCli(["id", "--home", home]);
    const path = join(home, "identity.key");
    await Deno.chmod(path, 0o640);
    const { code, stdout, stderr } = await runCli(["id", "--home", home]);
    assertEquals(code, 1);
    assertEquals(stdout, "");
    assert(stderr.includes(`chmod 600 ${path}`), stderr);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("id honours XDG_CONFIG_HOME when no --home or P2PCHAT_HOME is given", async () => {
  const xdg = await Deno.makeTempDir();
  try {
    const { code } = await runCli(["id"], { XDG_CONFIG_HOME: xdg, HOME: "/nonexistent" });
    assertEquals(code, 0);
    assertEquals((await Deno.stat(join(xdg, "p2pchat", "identity.key"))).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(xdg, { recursive: true });
  }
});

Deno.test("deno task serve runs the server with the V8 settings it is measured with", async () => {
  const { SERVE_V8_FLAGS } = await import("../server/v8_flags.ts");
  for (const flag of SERVE_V8_FLAGS) {
    assert(config.tasks.serve.includes(flag), `serve task lacks ${flag}`);
  }
});
