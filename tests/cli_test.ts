import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { runCli } from "../harness/run_cli.ts";
import config from "../deno.json" with { type: "json" };

Deno.test("--help lists the commands, one line each; help CMD and CMD --help give its flags", async () => {
  const { code, stdout } = await runCli(["--help"]);
  assertEquals(code, 0);
  for (const word of ["serve ", "connect ", "id ", "help "]) {
    assert(stdout.includes(`\n  ${word}`), `help lists ${word}`);
  }
  assert(!stdout.includes("--relay-max-bytes"), "flags belong to each command's help");
  const viaHelp = await runCli(["help", "connect"]);
  const viaFlag = await runCli(["connect", "--help"]);
  assertEquals(viaHelp.code, 0);
  assertEquals(viaHelp.stdout, viaFlag.stdout);
  for (const word of ["--name NAME", "--server HOST[:PORT]", "Example:"]) {
    assert(viaHelp.stdout.includes(word), `connect help mentions ${word}`);
  }
});

Deno.test("each command's help is aligned, wrapped at 80 columns, each default shown once", async () => {
  for (const command of ["serve", "connect", "id"]) {
    const { stdout } = await runCli(["help", command]);
    for (const line of stdout.split("\n")) assert(line.length <= 80, `${command}: ${line}`);
    for (const line of stdout.split("\n")) {
      assert((line.match(/default:/g) ?? []).length <= 1, line);
      if (line.includes("(default:")) assert(/\(default: [^)]+\)$/.test(line), `whole: ${line}`);
    }
    if (command === "serve") {
      assertEquals((stdout.match(/default: 90s/g) ?? []).length, 1, "the idle timeout, once");
      assert(stdout.includes("(default: 7447)"));
    }
  }
});

Deno.test("a usage error names the command whose help to read, exit 2", async () => {
  const { code, stderr } = await runCli(["serve", "--port", "http"]);
  assertEquals(code, 2);
  assert(stderr.startsWith("p2pchat: --port must be a whole number"), stderr);
  assert(stderr.includes("see p2pchat serve --help"), stderr);
  const unknown = await runCli(["help", "frob"]);
  assertEquals(unknown.code, 2);
  assert(unknown.stderr.includes('unknown command "frob"'));
});

Deno.test("what a new user tripped over: help --help, store --help, a flag without its value, a dashed value, a port out of range, each in words that say what to type", async () => {
  for (const args of [["help", "--help"], ["help", "-h"]]) {
    const { code, stdout } = await runCli(args);
    assertEquals(code, 0, args.join(" "));
    assert(stdout.includes("Usage: p2pchat <command>"), stdout);
  }
  for (const args of [["store", "--help"], ["help", "store"]]) {
    const { code, stdout } = await runCli(args);
    assertEquals(code, 0, args.join(" "));
    assert(stdout.includes("Usage: p2pchat store <command>") && stdout.includes("store copy"));
  }
  const bare = await runCli(["store"]);
  assertEquals(bare.code, 2);
  assert(bare.stderr.includes("see p2pchat store --help"), bare.stderr);
  const cases: [string[], string][] = [
    [["connect", "--name"], "p2pchat: --name needs a value (NAME)"],
    [
      ["serve", "--port", "-1"],
      "p2pchat: --port needs a value (PORT); for one that starts with a dash, write --port=-1",
    ],
    [["serve", "--port=-1"], 'p2pchat: --port must be a whole number from 0 to 65535, got "-1"'],
    [
      ["connect", "--listen", "127.0.0.1:99999", "--name", "a"],
      'p2pchat: the port in --listen must be a whole number from 0 to 65535, got "99999"',
    ],
    [["connect", "--json=yes"], "p2pchat: --json takes no value"],
    [["serve", "stray"], 'p2pchat: unexpected argument "stray"'],
  ];
  for (const [args, words] of cases) {
    const { code, stderr } = await runCli(args);
    assertEquals(code, 2, args.join(" "));
    assert(stderr.startsWith(words), `${args.join(" ")}: ${stderr}`);
    assert(!/option argument|positional|Did you forget/i.test(stderr), stderr);
    assert(stderr.includes(`see p2pchat ${args[0]} --help`), stderr);
  }
});

Deno.test("connect checks the name before any network use, and needs one without a terminal", async () => {
  const bad = await runCli(["connect", "--name", "bad!name", "--server", "127.0.0.1:1"]);
  assertEquals(bad.code, 2);
  assert(bad.stderr.includes('The name has "!" at position 4'), bad.stderr);
  assert(bad.stderr.includes("letters A-Z and a-z, digits"), bad.stderr);
  const missing = await runCli(["connect", "--json", "--server", "127.0.0.1:1"]);
  assertEquals(missing.code, 2);
  assert(missing.stderr.includes("--name NAME is needed"), missing.stderr);
  assert(missing.stderr.includes("see p2pchat connect --help"), missing.stderr);
  const piped = await runCli(["connect", "--server", "127.0.0.1:1"]);
  assertEquals(piped.code, 2, "stdin is not a terminal here");
});

Deno.test("--home naming a file is one sentence, exit 1", async () => {
  const file = await Deno.makeTempFile();
  try {
    for (const args of [["id", "--home", file], ["serve", "--data", file, "--port", "0"]]) {
      const { code, stderr } = await runCli(args);
      assertEquals(code, 1);
      assertEquals(
        stderr.trim(),
        `p2pchat: ${file} is a file, not a directory: choose a directory for p2pchat's data`,
      );
    }
  } finally {
    await Deno.remove(file);
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
  const { SERVE_V8_FLAGS } = await import("../server/mod.ts");
  for (const flag of SERVE_V8_FLAGS) {
    assert(config.tasks.serve.includes(flag), `serve task lacks ${flag}`);
  }
});

Deno.test("the README's first block is the two commands a fresh machine with only npm needs, at the Deno version CI installs", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const ci = await Deno.readTextFile(new URL("../.ci/run", import.meta.url));
  const version = /^DENO_VERSION=(\S+)$/m.exec(ci)?.[1];
  assert(version, ".ci/run names the Deno version it installs");
  const block = /```sh\n([^`]*)```/.exec(readme)![1].trim().split("\n").map((l) =>
    l.split("#")[0].trim()
  );
  assertEquals(block, [`npx -y deno@${version} task serve`, `npx -y deno@${version} task test`]);
});
