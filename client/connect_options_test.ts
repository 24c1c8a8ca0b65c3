import { assertEquals, assertRejects } from "../tests/assert.ts";
import { parseFlags, UsageError } from "../cli/command.ts";
import { connectCommand } from "./connect_command.ts";
import { parseConnectOptions } from "./connect_options.ts";

const parse = (args: string[], env: Record<string, string> = { HOME: "/h" }) =>
  parseConnectOptions(parseFlags(connectCommand, args), env);

Deno.test("parseConnectOptions() gives the documented defaults", () => {
  assertEquals(parse(["--name", "alice"]), {
    name: "alice",
    server: { hostname: "127.0.0.1", port: 7447 },
    listen: { hostname: "0.0.0.0", port: 0 },
    home: "/h/.config/p2pchat",
    json: false,
    autoAccept: false,
    serverKey: undefined,
    relay: "auto",
  });
});

Deno.test("parseConnectOptions() takes the server from $P2PCHAT_SERVER unless --server says", () => {
  assertEquals(parse([], { HOME: "/h", P2PCHAT_SERVER: "10.1.2.3:9" }).server, {
    hostname: "10.1.2.3",
    port: 9,
  });
  assertEquals(
    parse(["--server", "[::1]:7"], { HOME: "/h", P2PCHAT_SERVER: "10.1.2.3:9" }).server,
    { hostname: "::1", port: 7 },
  );
});

Deno.test("parseConnectOptions() reads a fingerprint as people write it and refuses junk", async () => {
  const fp = "AB:".repeat(31) + "AB";
  assertEquals(parse(["--server-key", fp]).serverKey, "ab".repeat(32));
  const error = await assertRejects(
    () => Promise.resolve().then(() => parse(["--server-key", "abc"])),
    UsageError,
  );
  assertEquals(error.message.startsWith("--server-key must be a fingerprint"), true);
  await assertRejects(
    () => Promise.resolve().then(() => parse(["--listen", "nowhere"])),
    UsageError,
  );
});
