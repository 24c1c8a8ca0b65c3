import { assert, assertEquals } from "../../tests/assert.ts";
import { UsageError } from "../../cli/mod.ts";
import { parseAuditOptions } from "./audit_options.ts";

const base = { json: false, full: false, forget: false };
const env = { HOME: "/home/alice" };

Deno.test("parseAuditOptions() takes the directory (port 7447 by default), a name, and the data directory", () => {
  const options = parseAuditOptions(
    { ...base, server: "chat.example.org", name: "Bob" } as never,
    env,
  );
  assertEquals(options.server, { hostname: "chat.example.org", port: 7447 });
  assertEquals(options.name, "Bob");
  assertEquals(options.home, "/home/alice/.config/p2pchat");
  const evidence = parseAuditOptions({ ...base, evidence: "/tmp/e.json" } as never, env);
  assertEquals([evidence.server, evidence.evidence], [undefined, "/tmp/e.json"]);
});

Deno.test("parseAuditOptions() refuses what cannot be audited, naming the flag", () => {
  for (
    const [values, says] of [
      [{}, "--server"],
      [{ server: "a:7447,b:7447" }, "one instance"],
      [{ server: "a", name: "-bob" }, "--name"],
      [{ server: "a", "server-key": "zz" }, "--server-key"],
      [{ evidence: "e", forget: true }, "--forget"],
    ] as const
  ) {
    try {
      parseAuditOptions({ ...base, ...values } as never, env);
      assert(false, `accepted ${JSON.stringify(values)}`);
    } catch (error) {
      assert(error instanceof UsageError && error.message.includes(says), String(error));
    }
  }
});
