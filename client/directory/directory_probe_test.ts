import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { busyReply, FrameType, memoryPair, type Transport } from "../../crypto/mod.ts";
import { DirectoryUnavailableError } from "../../protocol/mod.ts";
import { describeAnswer, mustBeDirectory } from "./directory_probe.ts";

const text = (s: string) => new TextEncoder().encode(s);

/** A transport that answers each read from `chunks`, then waits until aborted. */
function scripted(chunks: Uint8Array[]): Transport & { closed: boolean; written: number } {
  const t = {
    closed: false,
    written: 0,
    read(signal?: AbortSignal): Promise<Uint8Array | null> {
      const next = chunks.shift();
      if (next) return Promise.resolve(next);
      return new Promise((_, reject) =>
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true })
      );
    },
    write(bytes: Uint8Array): Promise<void> {
      t.written += bytes.length;
      return Promise.resolve();
    },
    close(): void {
      t.closed = true;
    },
  };
  return t;
}

Deno.test("describeAnswer() names a web server's status line and an SSH banner, else the first byte", () => {
  assertEquals(
    describeAnswer(text("HTTP/1.1 400 Bad Request\r\n\r\n")),
    '"HTTP/1.1 400 Bad Request", as a web server does',
  );
  assertEquals(
    describeAnswer(text("SSH-2.0-OpenSSH_9.2\r\n")),
    '"SSH-2.0-OpenSSH_9.2", as an SSH server does',
  );
  assertEquals(describeAnswer(new Uint8Array([0x15, 3, 1])), "byte 0x15");
  assertEquals(describeAnswer(text("X\u0000")), '"X"');
});

Deno.test("mustBeDirectory() refuses another first byte at once, even one byte at a time, and passes a directory's", async () => {
  const web = scripted([text("H"), text("TTP/1.1 400")]);
  const error = await assertRejects(
    () => mustBeDirectory(web, "127.0.0.1:80").read(),
    DirectoryUnavailableError,
    "not-a-directory",
  );
  assert(
    error.message.startsWith("127.0.0.1:80 does not look like a p2pchat directory"),
    error.message,
  );
  assert(web.closed);
  const directory = scripted([new Uint8Array([FrameType.Response, 0, 1]), text("rest")]);
  const checked = mustBeDirectory(directory, "d:7447", 2000);
  assertEquals((await checked.read())?.[0], FrameType.Response);
  assertEquals(await checked.read(), text("rest"), "checked once");
});

Deno.test("mustBeDirectory() gives up on a server silent past the bound, sending nothing of its own", async () => {
  const silent = scripted([]);
  const started = performance.now();
  const error = await assertRejects(
    () => mustBeDirectory(silent, "127.0.0.1:8000", 50).read(),
    DirectoryUnavailableError,
    "timeout",
  );
  assert(performance.now() - started < 1000);
  assert(
    error.message.includes("accepted the connection but did not finish the handshake"),
    error.message,
  );
  assertEquals(silent.written, 0);
});

Deno.test("mustBeDirectory() takes a Busy frame for a directory's first answer, not for a stranger's", async () => {
  const [ours, theirs] = memoryPair();
  const probed = mustBeDirectory(ours, "127.0.0.1:7447", 2_000);
  await theirs.write(busyReply(500));
  const chunk = await probed.read();
  assertEquals(chunk?.[0], FrameType.Busy);
});
