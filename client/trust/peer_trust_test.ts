import { join } from "node:path";
import { assert, assertEquals } from "../../tests/assert.ts";
import type { Fingerprint } from "../../crypto/mod.ts";
import { parseName } from "../../protocol/mod.ts";
import { PeerTrust } from "./peer_trust.ts";
import { PinFile } from "./pin_file.ts";

const A = "a".repeat(64) as Fingerprint;
const B = "b".repeat(64) as Fingerprint;
const DIRECTORY_1 = "1".repeat(64) as Fingerprint;
const DIRECTORY_2 = "2".repeat(64) as Fingerprint;
const SELF = { name: parseName("alice"), fingerprint: "c".repeat(64) as Fingerprint };

Deno.test("PeerTrust keeps pins per directory: one name on two directories is two people", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pins = await PinFile.load(join(dir, "known_peers"));
    const bob = parseName("bob");
    await new PeerTrust(pins, DIRECTORY_1, SELF).pinFirstContact(bob, A);
    assertEquals(new PeerTrust(pins, DIRECTORY_1, SELF).pin(bob)?.fingerprint, A);
    assertEquals(new PeerTrust(pins, DIRECTORY_2, SELF).pin(bob), undefined);
    await new PeerTrust(pins, DIRECTORY_2, SELF).pinFirstContact(bob, B);
    const reloaded = await PinFile.load(join(dir, "known_peers"));
    assertEquals(new PeerTrust(reloaded, DIRECTORY_1, SELF).pin(parseName("BOB"))?.fingerprint, A);
    assertEquals(new PeerTrust(reloaded, DIRECTORY_2, SELF).pin(bob)?.fingerprint, B);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PeerTrust honours a pin made before pins were kept per directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pins = await PinFile.load(join(dir, "known_peers"));
    await pins.set("carol", { fingerprint: A, verified: true });
    const trust = new PeerTrust(pins, DIRECTORY_1, SELF);
    assertEquals(trust.pin(parseName("Carol")), { fingerprint: A, verified: true });
    trust.noteChanged(parseName("carol"), B);
    assertEquals(await trust.trust(parseName("carol")), B);
    assertEquals(trust.pin(parseName("carol")), { fingerprint: B, verified: false });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PeerTrust never pins your own name or key as a peer's", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const trust = new PeerTrust(await PinFile.load(join(dir, "known_peers")), DIRECTORY_1, SELF);
    assert.throws(() => trust.pinFirstContact(parseName("ALICE"), A), RangeError);
    assert.throws(() => trust.pinFirstContact(parseName("bob"), SELF.fingerprint), RangeError);
    assertEquals(trust.pin(parseName("alice")), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
