import { assert } from "./assert.ts";
import { dirname } from "node:path";
import { MAIN } from "../harness/run_cli.ts";

Deno.test("deno task bench-files --quick --json sends a file and reports it beside TCP, TLS and the channel", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "bench-files", "--quick", "--json", "--size", "8", "--runs", "1"],
    cwd: dirname(MAIN),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  assert(output.code === 0, new TextDecoder().decode(output.stderr));
  const report = JSON.parse(stdout.split("\n").at(-1)!);
  for (const transport of ["tcp", "tls", "p2pchat"]) {
    assert(report.bulk_mib_s[transport] > 0, transport);
  }
  for (const key of ["file_mib_s", "file_vs_channel_bulk", "chat_rtt_p99_ms"]) {
    assert(typeof report[key] === "number" && report[key] > 0, `${key} = ${report[key]}`);
  }
  assert(report.chat_messages > 0, "chat messages went while the file moved");
});
