/** The systemd unit under contrib/ is valid and runs `serve` with flags it accepts. */
import { dirname, join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { MAIN } from "../harness/run_cli.ts";
import { parseFlags } from "../cli/mod.ts";
import { serveCommand } from "../server/mod.ts";

const UNIT = join(dirname(MAIN), "contrib", "p2pchat.service");

function execStart(unit: string): string[] {
  const line = unit.split("\n").find((l) => l.startsWith("ExecStart="))!;
  return line.slice("ExecStart=".length).split(/\s+/);
}

Deno.test("contrib/p2pchat.service runs p2pchat serve with flags serve accepts", async () => {
  const [program, command, ...flags] = execStart(await Deno.readTextFile(UNIT));
  assertEquals([program, command], ["/usr/local/bin/p2pchat", "serve"]);
  const values = parseFlags(serveCommand, flags);
  assertEquals(values.data, "/var/lib/p2pchat");
});

const analyze = new Deno.Command("systemd-analyze", { args: ["--version"], stdout: "null" })
  .output().then((o) => o.success, () => false);

Deno.test({
  name: `contrib/p2pchat.service passes systemd-analyze verify${
    await analyze ? "" : " (skipped: systemd-analyze is not installed)"
  }`,
  ignore: !await analyze,
  async fn() {
    // verify insists that ExecStart's program exists: stand one in for the installed binary.
    const dir = await Deno.makeTempDir();
    try {
      const program = join(dir, "p2pchat");
      await Deno.writeTextFile(program, "#!/bin/sh\n", { mode: 0o755 });
      const unit = (await Deno.readTextFile(UNIT)).replaceAll("/usr/local/bin/p2pchat", program);
      await Deno.writeTextFile(join(dir, "p2pchat.service"), unit);
      const out = await new Deno.Command("systemd-analyze", {
        args: ["verify", join(dir, "p2pchat.service")],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const said = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
      assert(out.success, said);
      assertEquals(said.trim(), "", "verify has nothing to say about the unit");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
