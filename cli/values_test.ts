import { assertEquals, assertRejects } from "../tests/assert.ts";
import { UsageError } from "./command.ts";
import {
  formatDuration,
  formatSize,
  parseChoice,
  parseDuration,
  parseHostPort,
  parseInteger,
  parseServerList,
  parseSize,
} from "./values.ts";

Deno.test("parseDuration() reads units and treats a bare number as seconds", () => {
  assertEquals(parseDuration("x", "500ms"), 500);
  assertEquals(parseDuration("x", "30"), 30_000);
  assertEquals(parseDuration("x", "5m"), 300_000);
  assertEquals(parseDuration("x", "30d"), 30 * 86_400_000);
});

Deno.test("parseHostPort() reads IPv4, IPv6 and a bare port", () => {
  assertEquals(parseHostPort("x", "127.0.0.1:7447", "h"), { hostname: "127.0.0.1", port: 7447 });
  assertEquals(parseHostPort("x", "[::1]:80", "h"), { hostname: "::1", port: 80 });
  assertEquals(parseHostPort("x", ":9", "0.0.0.0"), { hostname: "0.0.0.0", port: 9 });
});

Deno.test("flag value parsers name the flag and the expected form", async () => {
  const bad: [() => unknown, string][] = [
    [
      () => parseInteger("port", "70000", 0, 65535),
      "--port must be a whole number from 0 to 65535",
    ],
    [() => parseInteger("port", "-1", 0, 65535), "--port"],
    [() => parseDuration("idle-timeout", "soon"), "--idle-timeout must be a duration"],
    [() => parseDuration("idle-timeout", "0s"), "--idle-timeout"],
    [() => parseHostPort("metrics", "localhost", "h"), "--metrics must be HOST:PORT"],
    [() => parseChoice("log", "xml", ["text", "json"] as const), "--log must be one of text, json"],
  ];
  for (const [fn, words] of bad) {
    const error = await assertRejects(() => Promise.resolve().then(fn), UsageError);
    assertEquals(error.message.startsWith(words), true, error.message);
  }
});

Deno.test("formatDuration() and formatSize() write what the parsers read back", () => {
  for (const ms of [500, 1000, 30_000, 90_000, 3_600_000, 30 * 86_400_000]) {
    assertEquals(parseDuration("x", formatDuration(ms)), ms);
  }
  assertEquals(formatDuration(30_000), "30s");
  assertEquals(formatDuration(30 * 86_400_000), "30d");
  for (const bytes of [100, 4096, 64 * 1024 ** 2, 1024 ** 3]) {
    assertEquals(parseSize("x", formatSize(bytes)), bytes);
  }
  assertEquals(formatSize(64 * 1024 ** 2), "64M");
});

Deno.test("parseServerList() reads hosts with and without ports, IPv6, and lists", () => {
  assertEquals(parseServerList("--server", "example.org", 7447), [
    { hostname: "example.org", port: 7447 },
  ]);
  assertEquals(parseServerList("--server", "10.0.0.1:9000, [::1]:7, ::1, [fe80::2]", 7447), [
    { hostname: "10.0.0.1", port: 9000 },
    { hostname: "::1", port: 7 },
    { hostname: "::1", port: 7447 },
    { hostname: "fe80::2", port: 7447 },
  ]);
});

Deno.test("parseServerList() says what is wrong with a bad port or an empty entry", async () => {
  for (
    const [text, words] of [
      ["host:0", 'the port in --server must be a whole number from 1 to 65535, got "0"'],
      ["host:http", 'the port in --server must be a whole number from 1 to 65535, got "http"'],
      ["a,,b", "--server must be HOST[:PORT]"],
      ["", "--server must be HOST[:PORT]"],
    ]
  ) {
    const error = await assertRejects(
      () => Promise.resolve().then(() => parseServerList("--server", text, 7447)),
      UsageError,
    );
    assertEquals(error.message.startsWith(words), true, error.message);
  }
});
