import { assert, assertEquals } from "./assert.ts";
import { dirname } from "node:path";
import { MAIN } from "../harness/run_cli.ts";
import { redisMissing } from "../harness/redis_process.ts";

async function task(args: string[]): Promise<unknown> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", ...args],
    cwd: dirname(MAIN),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  return JSON.parse(stdout.split("\n").at(-1)!);
}

Deno.test("deno task bench --quick --json measures all three transports and prints ratios", async () => {
  const report = await task(["bench", "--quick", "--json"]) as {
    transports: Record<string, Record<string, number>>;
    ratios_vs_tls: Record<string, number>;
  };
  const keys = [
    "connect_p50_ms",
    "connect_p99_ms",
    "rtt_p50_us",
    "rtt_p99_us",
    "msgs_per_s",
    "bulk_mib_s",
  ];
  for (const transport of ["tcp", "tls", "p2pchat"]) {
    for (const key of keys) {
      const value = report.transports[transport][key];
      assert(typeof value === "number" && value > 0, `${transport}.${key} = ${value}`);
    }
  }
  for (const key of keys) assert(typeof report.ratios_vs_tls[key] === "number", key);
});

Deno.test("deno task load --restart --json registers, survives a SIGKILLed server, measures and drains", async () => {
  const report = await task([
    "load",
    "--clients",
    "60",
    "--workers",
    "2",
    "--idle-timeout",
    "5",
    "--restart",
    "--json",
  ]) as Record<string, unknown>;
  assertEquals(report.restart_online_after, 60, "every client came back after the restart");
  assert(typeof report.restart_all_back_s === "number", "the storm settled");
  assertEquals(report.restart_refused, {}, "nothing was refused: only the rate limit may refuse");
  assertEquals(report.clients_online, 60);
  assertEquals(report.failures, 0);
  for (
    const key of [
      "registrations_per_s",
      "lookup_p50_ms",
      "lookup_p99_ms",
      "list_p99_ms",
      "server_rss_mib",
      "server_cpu_pct",
      "cpu_ms_per_registration",
    ]
  ) {
    assert(typeof report[key] === "number", key);
  }
  assert(typeof report.drain_s === "number", "every user left /metrics after the mass drop");
});

Deno.test({
  name:
    `deno task load --instances 2 --store redis --json spreads users over two instances and measures Redis${
      redisMissing() ? ` (skipped: ${redisMissing()})` : ""
    }`,
  ignore: redisMissing() !== undefined,
  async fn() {
    const report = await task([
      "load",
      "--clients",
      "100",
      "--workers",
      "2",
      "--idle-timeout",
      "5",
      "--instances",
      "2",
      "--store",
      "redis",
      "--json",
    ]) as Record<string, unknown>;
    assertEquals(report.instances, 2);
    assertEquals(report.clients_online, 100);
    assertEquals(
      report.directory_users_online,
      100,
      "every user of both instances, counted by one (the probe has left)",
    );
    assertEquals((report.instance_rss_mib as number[]).length, 2);
    assert((report.redis_bytes_per_user as number) > 0, "Redis memory per user is measured");
    assert(typeof report.list_p50_ms === "number");
    assert(
      typeof report.drain_s === "number",
      "every user left every instance after the mass drop",
    );
  },
});
