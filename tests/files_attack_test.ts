/**
 * A receiver attacked by a hand-written sender (issue 23): alice is a real
 * `connect --json` process; mallory speaks the file protocol by hand
 * (tests/file_peer.ts) and lies: a chunk that does not match its hash,
 * names that try to leave the downloads directory, hide, pass for an option
 * or a device, or carry escape sequences; a name taken by a file or a
 * symlink; data past the file's end or for a transfer never offered; more
 * offers at once than allowed. Whatever mallory does, nothing is written
 * outside alice's downloads directory, nothing is overwritten, and a bad
 * file never takes its final name.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { type ClientProcess, type Event, startClient, startServe } from "../harness/mod.ts";
import { acceptChannel, connTransport, Identity, type SecureChannel } from "../crypto/mod.ts";
import { DirectoryClient } from "../client/directory/mod.ts";
import { safeFileName } from "../client/files/mod.ts";
import { FilePeer, PEER_CHUNK } from "./file_peer.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

type Scene = {
  alice: ClientProcess;
  mallory: FilePeer;
  channel: SecureChannel;
  downloads: string;
  outside: string;
};

/** alice (real, with her downloads in a directory of their own) in a chat with mallory (by hand). */
async function scene(fn: (s: Scene) => Promise<void>): Promise<void> {
  const server = await startServe();
  const work = await Deno.makeTempDir();
  const downloads = join(work, "downloads");
  const outside = join(work, "outside");
  await Deno.mkdir(outside);
  await Deno.writeTextFile(join(outside, "sentinel"), "untouched");
  const alice = await startClient("alice", server.port, { args: ["--downloads", downloads] });
  const identity = Identity.generate();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const directory = await DirectoryClient.connect({ hostname: "127.0.0.1", port: server.port }, {
    identity,
    expectedServer: server.fingerprint,
    heartbeatMs: 0,
  });
  let channel: SecureChannel | undefined;
  try {
    await directory.register("mallory", listener.addr.port);
    await alice.waitFor(is("ready"));
    await alice.send("/chat mallory");
    channel = await acceptChannel(connTransport(await listener.accept()), identity);
    const hello = JSON.parse(new TextDecoder().decode((await channel.receive())!));
    assertEquals(hello.type, "hello");
    await channel.send(new TextEncoder().encode(JSON.stringify({ type: "accept" })));
    await alice.waitFor(is("chat-open", { peer: "mallory" }));
    await fn({ alice, mallory: new FilePeer(channel), channel, downloads, outside });
    // Whatever happened, nothing outside the downloads directory changed.
    const left = [...Deno.readDirSync(outside)].map((e) => e.name);
    assertEquals(left, ["sentinel"]);
    assertEquals(await Deno.readTextFile(join(outside, "sentinel")), "untouched");
  } finally {
    channel?.abort();
    await directory.bye().catch(() => {});
    listener.close();
    await alice.kill();
    await server.stop();
    await Deno.remove(work, { recursive: true });
  }
}

const random = (bytes: number): Uint8Array => {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
  return data;
};

const names = (dir: string): string[] => {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
};

/** mallory offers `name`; alice accepts; returns alice's file-received (or file-failed). */
async function offerAndAccept(
  s: Scene,
  file: { name: string; data: Uint8Array; corrupt?: number[] },
) {
  const from = s.alice.events.length;
  const id = await s.mallory.offer(file);
  const offer = await s.alice.waitFor(is("file-offer", { id }), 10_000, from);
  assertEquals(offer.name, file.name, "--json carries the name as offered");
  await s.alice.send(`/accept-file ${id.slice(0, 8)}`);
  await s.mallory.hear((m) => m.type === "file-accept" && m.id === id);
  await s.mallory.sendBody(id, file);
  return await s.alice.waitFor(
    (e) => (e.type === "file-received" || e.type === "file-failed") && e.id === id,
    10_000,
    from,
  );
}

Deno.test("attack: a chunk that does not match its hash is refused as corrupt; nothing takes the final name, the part is gone", async () => {
  await scene(async (s) => {
    const end = await offerAndAccept(s, {
      name: "invoice.pdf",
      data: random(3 * PEER_CHUNK),
      corrupt: [1],
    });
    assertEquals([end.type, end.reason, end.resumable], ["file-failed", "corrupt", false]);
    assertEquals(end.detail, "chunk 1 does not match its hash");
    const cancel = await s.mallory.hear((m) => m.type === "file-cancel");
    assertEquals(cancel.type === "file-cancel" && cancel.reason, "corrupt");
    assertEquals(names(s.downloads), []);
  });
});

Deno.test("attack: every hostile name is saved as a plain, safe name inside the downloads directory; nothing is overwritten or followed", async () => {
  await scene(async (s) => {
    const hostile = [
      "../../outside/sentinel",
      "/etc/passwd",
      "a/b/c.txt",
      "..\\..\\windows.ini",
      "..",
      ".bashrc",
      "-rf --no-preserve-root",
      "x\x1b[2J\x1b]0;owned\x07y.txt",
      "invoice\u202efdp.exe",
      "zero\u200bwidth\u2066.txt",
      "CON",
      "nul.txt",
      "LPT1.log",
      `${"長".repeat(120)}.txt`,
      "trailing dot.",
    ];
    for (const name of hostile) {
      const data = random(1000);
      const end = await offerAndAccept(s, { name, data });
      assertEquals(end.type, "file-received", `${JSON.stringify(name)}: ${JSON.stringify(end)}`);
      const path = String(end.path);
      assertEquals(join(s.downloads, path.slice(s.downloads.length + 1)), path);
      const base = path.slice(s.downloads.length + 1);
      assertEquals(base, safeFileName(name), JSON.stringify(name));
      assert(!base.includes("/") && !base.startsWith(".") && !base.startsWith("-"), base);
      assert(new TextEncoder().encode(base).length <= 255, base);
      assertEquals(await Deno.readFile(path), data);
    }
    // A name taken by a file, by a symlink (to a file outside) and by a dangling symlink.
    await Deno.writeTextFile(join(s.downloads, "report.pdf"), "mine");
    await Deno.symlink(join(s.outside, "sentinel"), join(s.downloads, "report (1).pdf"));
    await Deno.symlink(join(s.outside, "planted"), join(s.downloads, "report (2).pdf"));
    await Deno.symlink(join(s.outside, "planted.part"), join(s.downloads, "report (3).pdf.part"));
    const end = await offerAndAccept(s, { name: "report.pdf", data: random(5000) });
    assertEquals(end.path, join(s.downloads, "report (3).pdf"));
    assertEquals(await Deno.readTextFile(join(s.downloads, "report.pdf")), "mine");
    // The window of the terminal is the terminal's: --json carries the exact name, the saved one is safe.
    const mode = (await Deno.stat(String(end.path))).mode! & 0o777;
    assertEquals(mode, 0o600);
  });
});

Deno.test("attack: data past the file's end is corrupt; data for a transfer never offered closes the chat", async () => {
  await scene(async (s) => {
    const from = s.alice.events.length;
    const file = { name: "short.bin", data: random(PEER_CHUNK) };
    const id = await s.mallory.offer(file);
    await s.alice.waitFor(is("file-offer", { id }), 10_000, from);
    await s.alice.send(`/accept-file ${id}`);
    await s.mallory.hear((m) => m.type === "file-accept");
    await s.mallory.say({ type: "file-data", id, index: 1, offset: 0, data: new Uint8Array(10) });
    const failed = await s.alice.waitFor(is("file-failed", { id }), 10_000, from);
    assertEquals([failed.reason, failed.detail], [
      "corrupt",
      "data for chunk 1, past the file's end",
    ]);
    await s.mallory.say({
      type: "file-data",
      id: "77".repeat(16),
      index: 0,
      offset: 0,
      data: new Uint8Array(10),
    });
    const warning = await s.alice.waitFor(
      is("security-warning", { peer: "mallory" }),
      10_000,
      from,
    );
    assertEquals(warning.detail, "a file-data for a transfer never offered");
    await s.alice.waitFor(is("chat-closed", { peer: "mallory", reason: "security" }), 10_000, from);
    assertEquals(names(s.downloads), []);
  });
});

Deno.test("attack: more than 4 offers at once from one peer: the fifth is refused as busy", async () => {
  await scene(async (s) => {
    const from = s.alice.events.length;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await s.mallory.offer({ name: `f${i}`, data: random(10) }));
    }
    const busy = await s.alice.waitFor(is("file-failed", { reason: "busy" }), 10_000, from);
    assertEquals(busy.id, ids[4]);
    const declined = await s.mallory.hear((m) => m.type === "file-decline");
    assertEquals(declined.type === "file-decline" && [declined.id, declined.reason], [
      ids[4],
      "busy",
    ]);
    // The four that wait are still there to accept.
    await s.alice.send("/files");
    const listing = await s.alice.waitFor(is("files"), 10_000, from);
    const states = (listing.transfers as { state: string }[]).map((t) => t.state);
    assertEquals(states, ["offered", "offered", "offered", "offered", "failed"]);
  });
});
