/**
 * A transfer across a move between relay and direct (docs/protocol.md §11.1,
 * §14.6), with two real chats (client/chat's Chat) over real channels in
 * memory, each side's FileShell on its own disk: the chat moves while file
 * data is in flight on the old connection, and that connection is cut, so
 * what it still carried is lost. The receiver asks for what never came, and
 * the file arrives whole; a clean move (both say `moved`) loses nothing.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../../tests/assert.ts";
import {
  acceptChannel,
  Identity,
  initiateChannel,
  memoryPair,
  type SecureChannel,
  type Transport,
} from "../../crypto/mod.ts";
import { nameKey, parseName } from "../../protocol/mod.ts";
import { Chat } from "../chat/mod.ts";
import type { ClientEvent } from "../core/mod.ts";
import { FileShell } from "./file_shell.ts";

const MIB = 1024 * 1024;

/** `transport`, whose reads wait while `gate.closed` (a path that stalls). */
function gated(transport: Transport, gate: { open: Promise<void> | null }): Transport {
  return {
    async read(signal) {
      if (gate.open) await gate.open;
      return transport.read(signal);
    },
    write: (bytes) => transport.write(bytes),
    close: () => transport.close(),
  };
}

async function channels(
  alice: Identity,
  bob: Identity,
  gate?: { open: Promise<void> | null },
): Promise<[SecureChannel, SecureChannel]> {
  const [a, b] = memoryPair();
  return await Promise.all([
    initiateChannel(a, alice, { expectedPeer: bob.public.fingerprint }),
    acceptChannel(gate ? gated(b, gate) : b, bob),
  ]);
}

type Side = { shell: FileShell; chat: Chat; events: ClientEvent[]; downloads: string };

async function side(
  self: Identity,
  peer: { name: string; identity: Identity },
  channel: SecureChannel,
  dir: string,
): Promise<Side> {
  const events: ClientEvent[] = [];
  const sink = { emit: (e: ClientEvent) => events.push(e) };
  const downloads = join(dir, "downloads");
  const shell = await FileShell.create({
    home: dir,
    downloads,
    maxFileSize: 1 << 30,
    sink,
    relayLeft: () => undefined,
    report: (error) => {
      throw error;
    },
  });
  const name = parseName(peer.name);
  const chat: Chat = new Chat(
    { name, key: nameKey(name), fingerprint: peer.identity.public.fingerprint, sas: "" },
    channel,
    { path: "relay", sink, id: "ab".repeat(16), files: (m) => shell.receive(chat, m) },
  );
  shell.opened(chat);
  void self;
  return { shell, chat, events, downloads };
}

async function until<T>(find: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error("not within time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function moveScene(cut: boolean): Promise<void> {
  const dir = await Deno.makeTempDir();
  const [ida, idb] = [Identity.generate(), Identity.generate()];
  const gate: { open: Promise<void> | null } = { open: null };
  const [a1, b1] = await channels(ida, idb, gate);
  const alice = await side(ida, { name: "bob", identity: idb }, a1, join(dir, "a"));
  const bob = await side(idb, { name: "alice", identity: ida }, b1, join(dir, "b"));
  try {
    const data = new Uint8Array(8 * MIB + 12345);
    for (let i = 0; i < data.length; i += 65536) {
      crypto.getRandomValues(data.subarray(i, i + 65536));
    }
    const path = join(dir, "moving.bin");
    await Deno.writeFile(path, data);
    await alice.shell.send(parseName("bob"), path, { emit: () => {} });
    const offer = await until(() => bob.events.find((e) => e.type === "file-offer"));
    assert(offer.type === "file-offer");
    // bob stops reading the old path once the transfer is under way: what is sent there waits.
    let release = () => {};
    const accepted = bob.shell.accept(offer.id);
    await accepted;
    await until(() => bob.shell.listing[0].bytes > MIB ? true : undefined);
    gate.open = new Promise((resolve) => release = resolve);
    await new Promise((r) => setTimeout(r, 200));
    const [a2, b2] = await channels(ida, idb);
    // What bob says on the new path, to see him ask for what the old one lost.
    const said: string[] = [];
    const send = b2.send.bind(b2);
    b2.send = (bytes) => {
      if (bytes[0] === 0x7b) said.push(JSON.parse(new TextDecoder().decode(bytes)).type);
      return send(bytes);
    };
    assert(alice.chat.migrate(a2, "direct") && bob.chat.migrate(b2, "direct"));
    if (cut) {
      // The old path dies with what it carried.
      a1.abort();
      b1.abort();
    }
    release();
    const received = await until(() => bob.events.find((e) => e.type === "file-received"));
    assert(received.type === "file-received");
    assertEquals(await Deno.readFile(received.path), data);
    await until(() => alice.events.find((e) => e.type === "file-sent"));
    assert(!bob.events.some((e) => e.type === "file-failed"));
    if (cut) assert(said.includes("file-want"), `bob asked for what was lost: ${said}`);
  } finally {
    await alice.shell.quit();
    await bob.shell.quit();
    alice.chat.end();
    bob.chat.end();
    await Promise.all([alice.chat.ended, bob.chat.ended]);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "a move between relay and direct mid-transfer, with the old path cut, loses nothing: what never came is asked for",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => moveScene(true),
});

Deno.test({
  name: "a clean move mid-transfer: pieces from both connections make the file",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => moveScene(false),
});
