/**
 * Sending files (issue 23) between real `connect --json` processes over
 * real sockets, direct and relayed: a 50 MiB file byte for byte both ways
 * at once, resume after the sender is killed halfway and after Ctrl-C at the
 * receiver, a file that changes while it is sent, --max-file-size, a full
 * disk (a tmpfs this test mounts), the relay's budget, someone offline,
 * chat messages during a transfer, and the commands around it.
 * tests/files_attack_test.ts attacks a receiver with a hand-written sender.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { type ClientProcess, type Event, startClient, startServe } from "../harness/mod.ts";
import type { ServeProcess } from "../harness/mod.ts";

const MIB = 1024 * 1024;

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);
/** An offer that arrived (a sender's own offers say `direction: "out"`). */
const offered = (fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  is("file-offer", fields)(e) && e.direction === undefined;

/** A file of `bytes` random bytes in `dir`; returns its path and SHA-256. */
async function randomFile(dir: string, name: string, bytes: number) {
  const path = join(dir, name);
  const hash = createHash("sha256");
  const file = await Deno.open(path, { write: true, createNew: true });
  const block = new Uint8Array(MIB);
  for (let done = 0; done < bytes; done += MIB) {
    for (let i = 0; i < block.length; i += 65536) {
      crypto.getRandomValues(block.subarray(i, i + 65536));
    }
    const part = block.subarray(0, Math.min(MIB, bytes - done));
    hash.update(part);
    await file.write(part);
  }
  file.close();
  return { path, sha256: hash.digest("hex") };
}

/** The SHA-256 of the file at `path`, hex. */
async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of (await Deno.open(path)).readable) hash.update(chunk);
  return hash.digest("hex");
}

/** The names in `dir`. */
async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) out.push(entry.name);
  } catch {
    // Not there: empty.
  }
  return out.sort();
}

type Scene = {
  server: ServeProcess;
  alice: ClientProcess;
  bob: ClientProcess;
  /** Where each receives files. */
  downloads: { alice: string; bob: string };
  /** Scratch space for files to send. */
  work: string;
  /** Starts another client (a restart: the same home and downloads). */
  restart(who: "alice" | "bob", args?: string[]): Promise<ClientProcess>;
};

/** alice and bob, each with a downloads directory of their own, a chat open between them. */
async function scene(
  fn: (s: Scene) => Promise<void>,
  options: { serve?: string[]; alice?: string[]; bob?: string[]; chat?: boolean } = {},
): Promise<void> {
  const server = await startServe({ args: options.serve });
  const work = await Deno.makeTempDir();
  const downloads = { alice: join(work, "alice-in"), bob: join(work, "bob-in") };
  const homes = { alice: await Deno.makeTempDir(), bob: await Deno.makeTempDir() };
  const clients: ClientProcess[] = [];
  const start = async (who: "alice" | "bob", args: string[] = []) => {
    const client = await startClient(who, server.port, {
      home: homes[who],
      args: ["--auto-accept", "--downloads", downloads[who], ...args],
    });
    clients.push(client);
    await client.waitFor(is("ready"));
    return client;
  };
  try {
    const alice = await start("alice", options.alice);
    const bob = await start("bob", options.bob);
    if (options.chat !== false) {
      await alice.send("/chat bob");
      await alice.waitFor(is("chat-open", { peer: "bob" }));
      await bob.waitFor(is("chat-open", { peer: "alice" }));
    }
    await fn({ server, alice, bob, downloads, work, restart: start });
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await server.stop();
    for (const dir of [work, homes.alice, homes.bob]) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
}

/** `from` sends `path` to `to`, who accepts it; resolves with both ends' last events. */
async function transfer(from: ClientProcess, to: ClientProcess, path: string, ms = 60_000) {
  const [fromA, fromB] = [from.events.length, to.events.length];
  await from.send(`/send ${to.name} ${path}`);
  const offer = await to.waitFor(offered({ peer: from.name }), ms, fromB);
  await to.send(`/accept-file ${String(offer.id).slice(0, 8)}`);
  const received = await to.waitFor(is("file-received", { id: offer.id }), ms, fromB);
  const sent = await from.waitFor(is("file-sent", { id: offer.id }), ms, fromA);
  return { offer, received, sent };
}

Deno.test("files: a 50 MiB random file arrives byte for byte, both ways at once, direct; the part becomes the file", async () => {
  await scene(async ({ alice, bob, work, downloads }) => {
    const a = await randomFile(work, "from alice.bin", 50 * MIB);
    const b = await randomFile(work, "from bob.bin", 50 * MIB);
    const [toBob, toAlice] = await Promise.all([
      transfer(alice, bob, a.path),
      transfer(bob, alice, b.path),
    ]);
    assertEquals(toBob.received.path, join(downloads.bob, "from alice.bin"));
    assertEquals(toAlice.received.path, join(downloads.alice, "from bob.bin"));
    assertEquals(await sha256Of(String(toBob.received.path)), a.sha256);
    assertEquals(await sha256Of(String(toAlice.received.path)), b.sha256);
    for (const e of [toBob.received, toBob.sent]) {
      assertEquals([e.sha256, e.size, e.resumed_bytes], [a.sha256, 50 * MIB, 0]);
    }
    assertEquals(toBob.offer.sha256, a.sha256);
    assertEquals(await names(downloads.bob), ["from alice.bin"], "no .part left");
    assertEquals(
      (await Deno.stat(downloads.bob)).mode! & 0o777,
      0o700,
      "the downloads directory is private",
    );
    assert(bob.events.some(is("file-progress", { id: toBob.offer.id })), "progress while it moved");
    assert(alice.events.some(is("file-offer", { direction: "out", id: toBob.offer.id })));
    await alice.send("/files");
    const listing = await alice.waitFor(is("files"));
    const states = (listing.transfers as { direction: string; state: string }[]).map((t) =>
      `${t.direction} ${t.state}`
    ).sort();
    assertEquals(states, ["in done", "out done"]);
  });
});

Deno.test("files: relayed, a 50 MiB file goes each way through the directory's relay, byte for byte", async () => {
  await scene(async ({ alice, bob, work }) => {
    assertEquals(alice.events.find(is("chat-open"))!.path, "relay");
    const a = await randomFile(work, "relayed a.bin", 50 * MIB);
    const b = await randomFile(work, "relayed b.bin", 50 * MIB);
    const [toBob, toAlice] = await Promise.all([
      transfer(alice, bob, a.path),
      transfer(bob, alice, b.path),
    ]);
    assertEquals(await sha256Of(String(toBob.received.path)), a.sha256);
    assertEquals(await sha256Of(String(toAlice.received.path)), b.sha256);
  }, { serve: ["--relay-max-bytes", "256M"], alice: ["--relay", "always"] });
});

Deno.test("files: relayed, a file larger than what the relay still carries is refused up front, saying how much", async () => {
  await scene(async ({ alice, bob, work }) => {
    assertEquals(alice.events.find(is("chat-open"))!.path, "relay");
    const small = await randomFile(work, "small.bin", 3 * MIB);
    const { received } = await transfer(alice, bob, small.path);
    assertEquals(await sha256Of(String(received.path)), small.sha256);
    const big = await randomFile(work, "big.bin", 6 * MIB);
    const from = bob.events.length;
    await alice.send(`/send bob ${big.path}`);
    const failed = await alice.waitFor(is("file-failed", { reason: "relay-budget" }));
    // 8 MiB, less the 3 MiB file, its records and the handshake.
    assert(Number(failed.left) < 5 * MIB && Number(failed.left) > 4 * MIB, `left: ${failed.left}`);
    assert(String(failed.message).includes("once the chat is direct"), String(failed.message));
    await new Promise((r) => setTimeout(r, 300));
    assert(!bob.events.slice(from).some(offered()), "nothing was offered");
  }, { serve: ["--relay-max-bytes", "8M"], alice: ["--relay", "always"] });
});

Deno.test("files: the sender killed halfway; sent again, only what is missing moves (resumed_bytes) and the file is intact", async () => {
  await scene(async ({ alice, bob, work, downloads, restart }) => {
    const file = await randomFile(work, "half.bin", 48 * MIB);
    await alice.send(`/send bob ${file.path}`);
    const offer = await bob.waitFor(offered());
    await bob.send(`/accept-file ${offer.id}`);
    await bob.waitFor(
      (e) => is("file-progress", { id: offer.id })(e) && Number(e.bytes) >= 20 * MIB,
      30_000,
    );
    await alice.kill("SIGKILL");
    const failed = await bob.waitFor(is("file-failed", { id: offer.id }));
    assertEquals([failed.reason, failed.resumable], ["connection-lost", true]);
    assertEquals(await names(downloads.bob), ["half.bin.part"]);
    const again = await restart("alice");
    const from = bob.events.length;
    await again.send(`/send bob ${file.path}`);
    // The same file from the same key: no question asked.
    const resumed = await bob.waitFor(is("file-received"), 60_000, from);
    assert(Number(resumed.resumed_bytes) > 0, `resumed_bytes ${resumed.resumed_bytes}`);
    assert(
      bob.stderr.some((line) => line.includes("resuming without asking")),
      bob.stderr.join("\n"),
    );
    assert(bob.events.slice(from).some(offered({ resuming: true })), "the offer says it resumes");
    const sent = await again.waitFor(is("file-sent"));
    assertEquals(sent.resumed_bytes, resumed.resumed_bytes);
    assertEquals(await sha256Of(String(resumed.path)), file.sha256);
    assertEquals(await names(downloads.bob), ["half.bin"]);
  });
});

Deno.test("files: Ctrl-C at the receiver during a transfer leaves a resumable .part; after a restart it resumes", async () => {
  await scene(async ({ alice, bob, work, downloads, restart }) => {
    const file = await randomFile(work, "interrupted.bin", 48 * MIB);
    await alice.send(`/send bob ${file.path}`);
    const offer = await bob.waitFor(offered());
    await bob.send(`/accept-file ${offer.id}`);
    await bob.waitFor(
      (e) => is("file-progress", { id: offer.id })(e) && Number(e.bytes) >= 16 * MIB,
      30_000,
    );
    assertEquals(await bob.kill("SIGINT"), 0, "Ctrl-C ends the session as /quit does");
    const bobFailed = bob.events.find(is("file-failed", { id: offer.id }))!;
    assertEquals([bobFailed.reason, bobFailed.resumable], ["connection-lost", true]);
    const lost = await alice.waitFor(is("file-failed", { id: offer.id }));
    assertEquals([lost.reason, lost.resumable], ["connection-lost", true]);
    assertEquals(await names(downloads.bob), ["interrupted.bin.part"]);
    const back = await restart("bob");
    await alice.send(`/send bob ${file.path}`);
    const done = await back.waitFor(is("file-received"), 60_000);
    assert(Number(done.resumed_bytes) >= 8 * MIB, `kept ${done.resumed_bytes}`);
    assertEquals(await sha256Of(String(done.path)), file.sha256);
  });
});

Deno.test("files: a file that changes while it is sent is `changed` at both ends, and nothing is saved", async () => {
  await scene(async ({ alice, bob, work, downloads }) => {
    const file = await randomFile(work, "moving.bin", 8 * MIB);
    await alice.send(`/send bob ${file.path}`);
    const offer = await bob.waitFor(offered());
    // Hashed and offered; now its last chunk changes on disk before it is read to be sent.
    const handle = await Deno.open(file.path, { write: true });
    await handle.seek(8 * MIB - 10, Deno.SeekMode.Start);
    await handle.write(new TextEncoder().encode("changed!!!"));
    handle.close();
    await bob.send(`/accept-file ${offer.id}`);
    const sender = await alice.waitFor(is("file-failed", { id: offer.id }));
    const receiver = await bob.waitFor(is("file-failed", { id: offer.id }));
    assertEquals([sender.reason, receiver.reason], ["changed", "changed"]);
    assertEquals(await names(downloads.bob), [], "neither the file nor its part");
  });
});

Deno.test("files: --max-file-size refuses a larger offer before any data moves; both ends say why", async () => {
  await scene(async ({ alice, bob, work, downloads }) => {
    const file = await randomFile(work, "large.bin", 2 * MIB);
    await alice.send(`/send bob ${file.path}`);
    const refused = await bob.waitFor(is("file-failed", { reason: "too-large" }));
    assertEquals(refused.max, MIB);
    const told = await alice.waitFor(is("file-failed", { reason: "too-large" }));
    assertEquals(told.max, MIB);
    assert(String(told.message).includes("at most 1.0 MiB"), String(told.message));
    assertEquals(await names(downloads.bob), []);
  }, { bob: ["--max-file-size", "1M"] });
});

Deno.test("files: chat messages during a transfer are shown in order and reported delivered, both ways", async () => {
  await scene(async ({ alice, bob, work }) => {
    const file = await randomFile(work, "busy.bin", 50 * MIB);
    const [fromA, fromB] = [alice.events.length, bob.events.length];
    const moving = transfer(alice, bob, file.path);
    await bob.waitFor(offered(), 20_000, fromB);
    for (let i = 0; i < 40; i++) {
      await alice.send(`/msg bob a ${i}`);
      await bob.send(`/msg alice b ${i}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const { received } = await moving;
    assertEquals(await sha256Of(String(received.path)), file.sha256);
    await bob.waitFor(is("message", { text: "a 39" }), 20_000, fromB);
    await alice.waitFor(is("message", { text: "b 39" }), 20_000, fromA);
    const shown = (c: ClientProcess, from: number) =>
      c.events.slice(from).filter(is("message")).map((e) => e.text);
    assertEquals(shown(bob, fromB), Array.from({ length: 40 }, (_, i) => `a ${i}`));
    assertEquals(shown(alice, fromA), Array.from({ length: 40 }, (_, i) => `b ${i}`));
    const delivered = async (c: ClientProcess, from: number) => {
      for (let i = 0; i < 100; i++) {
        if (c.events.slice(from).filter(is("delivered")).length >= 40) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    };
    assert(await delivered(alice, fromA), "every message of alice's reported delivered");
    assert(await delivered(bob, fromB), "every message of bob's reported delivered");
    assert(!alice.events.some(is("undelivered")) && !bob.events.some(is("undelivered")));
  });
});

Deno.test("files: to someone offline, /send is refused with `offline` (files are not left at the directory)", async () => {
  await scene(async ({ alice, work }) => {
    const file = await randomFile(work, "note.txt", 100);
    await alice.send(`/send carol ${file.path}`);
    const failed = await alice.waitFor(is("file-failed", { peer: "carol" }));
    assertEquals([failed.reason, failed.resumable], ["offline", false]);
  }, { chat: false });
});

Deno.test("files: /send opens a chat when none is open; decline, cancel either side and the errors of the commands", async () => {
  await scene(async ({ alice, bob, work, downloads }) => {
    const file = await randomFile(work, "doc.txt", 200_000);
    await alice.send(`/send bob ${file.path}`);
    await alice.waitFor(is("chat-open", { peer: "bob" }));
    const first = await bob.waitFor(offered());
    await bob.send(`/decline-file ${first.id}`);
    assertEquals((await alice.waitFor(is("file-failed", { id: first.id }))).reason, "declined");
    await alice.send(`/send bob ${file.path}`);
    const second = await bob.waitFor((e) => offered()(e) && e.id !== first.id);
    await alice.send(`/cancel ${String(second.id).slice(0, 6)}`);
    const cancelled = await bob.waitFor(is("file-failed", { id: second.id }));
    assertEquals([cancelled.reason, cancelled.by], ["cancelled", "peer"]);
    await bob.send(`/accept-file ${second.id}`);
    assertEquals(
      (await bob.waitFor(is("error", { re: `/accept-file ${second.id}` }))).code,
      "bad-command",
    );
    await alice.send("/send bob /nonexistent/file");
    const missing = await alice.waitFor(is("error", { re: "/send bob /nonexistent/file" }));
    assertEquals([missing.code, missing.message], ["bad-file", "No file /nonexistent/file"]);
    await alice.send(`/send bob ${work}`);
    assertEquals((await alice.waitFor(is("error", { re: `/send bob ${work}` }))).code, "bad-file");
    await alice.send("/send alice /etc/hostname");
    assertEquals(
      (await alice.waitFor(is("error", { re: "/send alice /etc/hostname" }))).code,
      "self",
    );
    await alice.send("/cancel zz");
    const none = await alice.waitFor(is("error", { re: "/cancel zz" }));
    assert(String(none.message).includes("/files lists them"), String(none.message));
    assertEquals(await names(downloads.bob), []);
  }, { chat: false });
});

/** Whether a tmpfs can be mounted here (root). */
async function canMount(): Promise<boolean> {
  const probe = await Deno.makeTempDir();
  try {
    const { success } = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=1M", "tmpfs", probe],
      stdout: "null",
      stderr: "null",
    }).output();
    if (success) await new Deno.Command("umount", { args: [probe] }).output();
    return success;
  } catch {
    return false;
  } finally {
    await Deno.remove(probe).catch(() => {});
  }
}

const mountable = await canMount();
if (!mountable) {
  console.warn("files_test: the full-disk test is skipped: mounting a tmpfs needs root");
}

Deno.test({
  name:
    "files: a full disk is `no-space` at both ends; the .part is kept, and once there is room it resumes",
  ignore: !mountable,
  async fn() {
    await scene(async ({ alice, bob, work, downloads }) => {
      await Deno.mkdir(downloads.bob, { recursive: true, mode: 0o700 });
      await new Deno.Command("mount", {
        args: ["-t", "tmpfs", "-o", "size=6M,mode=0700", "tmpfs", downloads.bob],
      }).output();
      try {
        const file = await randomFile(work, "huge.bin", 10 * MIB);
        await alice.send(`/send bob ${file.path}`);
        const offer = await bob.waitFor(offered());
        await bob.send(`/accept-file ${offer.id}`);
        const full = await bob.waitFor(is("file-failed", { id: offer.id }), 30_000);
        assertEquals([full.reason, full.resumable], ["no-space", true]);
        assert(String(full.message).includes("the part is kept"), String(full.message));
        assertEquals((await alice.waitFor(is("file-failed", { id: offer.id }))).reason, "no-space");
        assertEquals(await names(downloads.bob), ["huge.bin.part"]);
        const kept = (await Deno.stat(join(downloads.bob, "huge.bin.part"))).size;
        assert(kept > 4 * MIB, `kept ${kept}`);
        // More room: the same file again resumes from what was kept.
        await new Deno.Command("mount", { args: ["-o", "remount,size=16M", downloads.bob] })
          .output();
        const from = bob.events.length;
        await alice.send(`/send bob ${file.path}`);
        const done = await bob.waitFor(is("file-received"), 30_000, from);
        assert(Number(done.resumed_bytes) > 0);
        assertEquals(await sha256Of(String(done.path)), file.sha256);
      } finally {
        await new Deno.Command("umount", { args: ["-l", downloads.bob] }).output();
      }
    });
  },
});
