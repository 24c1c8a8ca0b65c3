import { assertEquals, assertRejects } from "../tests/assert.ts";
import { parseFlags, UsageError } from "../cli/mod.ts";
import { connectCommand } from "./connect_command.ts";
import { parseConnectOptions } from "./connect_options.ts";

const parse = (args: string[], env: Record<string, string> = { HOME: "/h" }) =>
  parseConnectOptions(parseFlags(connectCommand, args), env);

async function usageError(args: string[], env?: Record<string, string>): Promise<string> {
  const error = await assertRejects(
    () => Promise.resolve().then(() => parse(args, env)),
    UsageError,
  );
  return error.message;
}

Deno.test("parseConnectOptions() gives the documented defaults", () => {
  assertEquals(parse(["--name", "alice"]), {
    name: "alice",
    servers: [{ hostname: "127.0.0.1", port: 7447 }],
    listen: { hostname: "0.0.0.0", port: 0 },
    home: "/h/.config/p2pchat",
    json: false,
    autoAccept: false,
    serverKey: undefined,
    relay: "auto",
    punch: true,
    downloads: "/h/Downloads/p2pchat",
    maxFileSize: 4 * 1024 ** 3,
  });
});

Deno.test("parseConnectOptions() takes the server from $P2PCHAT_SERVER unless --server says", () => {
  assertEquals(parse([], { HOME: "/h", P2PCHAT_SERVER: "10.1.2.3:9" }).servers, [
    { hostname: "10.1.2.3", port: 9 },
  ]);
  assertEquals(
    parse(["--server", "[::1]:7"], { HOME: "/h", P2PCHAT_SERVER: "10.1.2.3:9" }).servers,
    [{ hostname: "::1", port: 7 }],
  );
  assertEquals(parse(["--server", "chat.example"]).servers, [
    { hostname: "chat.example", port: 7447 },
  ]);
  assertEquals(parse(["--server", "a:1,b"]).servers.length, 2);
});

Deno.test("parseConnectOptions() checks the name before anything else, naming the character and the rule", async () => {
  const message = await usageError(["--name", "bad!name"]);
  assertEquals(message.startsWith('--name: The name has "!" at position 4'), true, message);
  assertEquals(message.includes("letters A-Z and a-z, digits"), true);
  assertEquals((await usageError(["--name", "bob."])).includes('ends with "."'), true);
});

Deno.test("parseConnectOptions() says which part of a bad value is wrong", async () => {
  const fp = "AB:".repeat(31) + "AB";
  assertEquals(parse(["--server-key", fp]).serverKey, "ab".repeat(32));
  assertEquals(
    (await usageError(["--server-key", "abc"])).startsWith("--server-key must be a fingerprint"),
    true,
  );
  assertEquals(
    await usageError(["--server", "host:99999"]),
    'the port in --server must be a whole number from 1 to 65535, got "99999"',
  );
  assertEquals(
    (await usageError([], { HOME: "/h", P2PCHAT_SERVER: "x:y" })).startsWith(
      "the port in $P2PCHAT_SERVER",
    ),
    true,
  );
  await usageError(["--listen", "nowhere"]);
});

// Hole punching (docs/protocol.md §11.2).
Deno.test("parseConnectOptions() reads --punch on|off and names the choices otherwise", async () => {
  assertEquals(parse(["--punch", "off"]).punch, false);
  assertEquals(parse(["--punch", "on"]).punch, true);
  assertEquals(
    await usageError(["--punch", "maybe"]),
    '--punch must be one of on, off, got "maybe"',
  );
});

// Files (issue 23):
Deno.test("parseConnectOptions() puts downloads under --downloads, else $XDG_DOWNLOAD_DIR/p2pchat, else ~/Downloads/p2pchat", () => {
  assertEquals(parse(["--downloads", "/d"]).downloads, "/d");
  assertEquals(parse([], { HOME: "/h", XDG_DOWNLOAD_DIR: "/x" }).downloads, "/x/p2pchat");
  assertEquals(parse([]).downloads, "/h/Downloads/p2pchat");
});

Deno.test("parseConnectOptions() reads --max-file-size as a size and refuses what is not one", async () => {
  assertEquals(parse(["--max-file-size", "64M"]).maxFileSize, 64 * 1024 ** 2);
  assertEquals(parse(["--max-file-size", "1000"]).maxFileSize, 1000);
  const message = await usageError(["--max-file-size", "lots"]);
  assertEquals(message, '--max-file-size must be a size such as 65536, 64K, 64M or 1G, got "lots"');
});
