/**
 * A directory that lies about its key-transparency log (docs/protocol.md
 * §15), through real client processes and a hand-written directory
 * (tests/fake_directory.ts) whose every answer the test can bend: a proof
 * with a wrong sibling, a checkpoint over another root or another size, a
 * checkpoint signed by another key, an old checkpoint replayed, a reply
 * with no proof, a key shown that its log does not bind, and a log that
 * forks for two people, caught by their clients when they chat.
 */
import { assert, assertEquals } from "./assert.ts";
import { type ClientProcess, type Event, startClient } from "../harness/mod.ts";
import { type FakeDirectory, startFakeDirectory } from "./fake_directory.ts";
import { fromBase64, Identity, toBase64 } from "../crypto/mod.ts";
import {
  decodeCheckpoint,
  encodeCheckpoint,
  signCheckpoint,
  type SignedCheckpoint,
} from "../transparency/mod.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

type World = { directory: FakeDirectory; alice: ClientProcess; bob: ClientProcess };

/** alice and bob on a fake directory whose log is honest until the test bends it. */
async function world(fn: (w: World) => Promise<void>): Promise<void> {
  const directory = startFakeDirectory();
  const args = ["--server-key", directory.identity.public.fingerprint, "--auto-accept"];
  const clients: ClientProcess[] = [];
  try {
    for (const name of ["alice", "bob"]) {
      const c = await startClient(name, directory.port, { args });
      clients.push(c);
      await c.waitFor(is("ready"));
    }
    await fn({ directory, alice: clients[0], bob: clients[1] });
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    directory.close();
  }
}

/** alice's `/chat bob` is refused with a warning of `reason` (and `detail`), and nothing opens. */
async function refused(w: World, reason: string, detail?: string): Promise<Event> {
  const from = w.alice.events.length;
  const asked = w.bob.events.length;
  await w.alice.send("/chat bob");
  const warning = await w.alice.waitFor(is("security-warning"), 10_000, from);
  assertEquals([warning.reason, warning.detail], [reason, detail], JSON.stringify(warning));
  await w.alice.send("/chats");
  await w.alice.waitFor(is("chats"), 10_000, from);
  assert(!w.alice.events.slice(from).some(is("chat-open")), "nothing opened");
  assert(!w.bob.events.slice(asked).some(is("chat-request")), "bob was never asked");
  return warning;
}

/** The checkpoint `wire` with `change` made, signed again by `signer`. */
function resigned(
  wire: string,
  signer: Identity,
  change: (c: SignedCheckpoint) => Partial<SignedCheckpoint>,
): string {
  const checkpoint = decodeCheckpoint(wire)!;
  return encodeCheckpoint(signCheckpoint(signer, { ...checkpoint, ...change(checkpoint) }));
}

Deno.test("lying log: a proof with a wrong sibling is refused as unproven", async () => {
  await world(async (w) => {
    w.directory.tamper = (proofs) => {
      if (!proofs.proof) return proofs;
      const bytes = fromBase64(proofs.proof);
      bytes[bytes.length - 1] ^= 1;
      return { ...proofs, proof: toBase64(bytes) };
    };
    await refused(w, "unproven-binding", "bad-proof");
  });
});

Deno.test("lying log: a checkpoint over another map root, though signed by the directory, proves nothing; its true one of that size then is a second history", async () => {
  await world(async (w) => {
    w.directory.tamper = (proofs) => ({
      ...proofs,
      checkpoint: resigned(proofs.checkpoint, w.directory.identity, () => ({
        mapRoot: new Uint8Array(32).fill(7),
      })),
    });
    await refused(w, "unproven-binding", "bad-proof");
    w.directory.tamper = (proofs) => proofs;
    await refused(w, "directory-fork");
  });
});

Deno.test("lying log: a checkpoint of a size the log does not have cannot be proven consistent: a fork, with evidence", async () => {
  await world(async (w) => {
    w.directory.tamper = (proofs) => ({
      ...proofs,
      checkpoint: resigned(proofs.checkpoint, w.directory.identity, (c) => ({ size: c.size + 1 })),
    });
    const warning = await refused(w, "directory-fork");
    const evidence = JSON.parse(
      await Deno.readTextFile((warning.log as { evidence: string }).evidence),
    );
    assertEquals(evidence.kind, "directory-fork");
    assertEquals(evidence.seen.size, w.directory.log.size + 1);
    assert(evidence.answer.includes("no consistency proof"), evidence.answer);
  });
});

Deno.test("lying log: a checkpoint signed by another key is refused", async () => {
  const mallory = Identity.generate();
  await world(async (w) => {
    w.directory.tamper = (proofs) => ({
      ...proofs,
      checkpoint: resigned(proofs.checkpoint, mallory, () => ({})),
    });
    await refused(w, "unproven-binding", "bad-checkpoint");
  });
});

Deno.test("lying log: an old checkpoint replayed is a rollback", async () => {
  await world(async (w) => {
    const old = encodeCheckpoint(w.directory.log.checkpoints[0]);
    w.directory.tamper = (proofs) => ({ ...proofs, checkpoint: old });
    await refused(w, "directory-rollback");
  });
});

Deno.test("lying log: an answer with no proof at all, as a directory without a log gives, is refused", async () => {
  await world(async (w) => {
    w.directory.tamper = () => ({});
    await refused(w, "unproven-binding", "no-proof");
  });
});

Deno.test("lying log: a key shown that the log does not bind (the directory proves only the truth) is refused", async () => {
  await world(async (w) => {
    const mallory = Identity.generate().public;
    w.directory.proving = "truth";
    w.directory.lie = (user) =>
      user.name === "bob"
        ? { ...user, key: toBase64(mallory.key), fingerprint: mallory.fingerprint }
        : user;
    const warning = await refused(w, "unproven-binding", "other-key");
    assertEquals(warning.got, mallory.fingerprint);
  });
});

Deno.test("lying log: a directory that shows two people two histories is caught when they chat, and both keep the evidence", async () => {
  const directory = startFakeDirectory();
  const args = ["--server-key", directory.identity.public.fingerprint, "--auto-accept"];
  // bob is shown a fork in which the directory bound carol to a key of its own.
  const fork = directory.fork();
  fork.ensure("carol", Identity.generate().public.key);
  directory.logFor = (name) => name === "bob" ? fork : directory.log;
  const alice = await startClient("alice", directory.port, { args });
  const bob = await startClient("bob", directory.port, { args });
  try {
    await Promise.all([alice.waitFor(is("ready")), bob.waitFor(is("ready"))]);
    await alice.send("/chat bob");
    await alice.waitFor(is("chat-open", { peer: "bob" }));
    const found = await Promise.all(
      [alice, bob].map((c) =>
        c.waitFor(is("security-warning", { reason: "directory-split-view" }))
      ),
    );
    assertEquals(found.map((w) => w.peer), ["bob", "alice"]);
    for (const warning of found) {
      const path = (warning.log as { evidence: string }).evidence;
      assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
      const evidence = JSON.parse(await Deno.readTextFile(path));
      assertEquals(evidence.kind, "directory-split-view");
      assertEquals(evidence.directory.key, toBase64(directory.identity.public.key));
      // Two checkpoints the directory signed, each verifiable by anyone with its key.
      for (const side of [evidence.kept, evidence.seen]) {
        assert(decodeCheckpoint(side.checkpoint), side.from);
      }
    }
  } finally {
    await Promise.all([alice.kill(), bob.kill()]);
    directory.close();
  }
});
