import { join } from "node:path";
import { assertEquals } from "../../tests/assert.ts";
import type { Fingerprint } from "../../crypto/mod.ts";
import { parseName } from "../../protocol/mod.ts";
import { PeerTrust } from "./peer_trust.ts";
import { PinFile } from "./pin_file.ts";

const A = "a".repeat(64) as Fingerprint;
const B = "b".repeat(64) as Fingerprint;
const DIRECTORY_1 = "1".repeat(64) as Fingerprint;
const DIRECTORY_2 = "2".repeat(64) as Fingerprint;

Deno.test("PeerTrust keeps pins per directory: one name on two directories is two people", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pins = await PinFile.load(join(dir, "known_peers"));
    const bob = parseName("bob");
    await new PeerTrust(pins, DIRECTORY_1).pinFirstContact(bob, A);
    assertEquals(new PeerTrust(pins, DIRECTORY_1).pin(bob)?.fingerprint, A);
    assertEquals(new PeerTrust(pins, DIRECTORY_2).pin(bob), undefined);
    await new PeerTrust(pins, DIRECTORY_2).pinFirstContact(bob, B);
    const reloaded = await PinFile.load(join(dir, "known_peers"));
    assertEquals(new PeerTrust(reloaded, DIRECTORY_1).pin(parseName("BOB"))?.fingerprint, A);
    assertEquals(new PeerTrust(reloaded, DIRECTORY_2).pin(bob)?.fingerprint, B);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PeerTrust honours a pin made before pins were kept per directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pins = await PinFile.load(join(dir, "known_peers"));
    await pins.set("carol", { fingerprint: A, verified: true });
    const trust = new PeerTrust(pins, DIRECTORY_1);
    assertEquals(trust.pin(parseName("Carol")), { fingerprint: A, verified: true });
    trust.noteChanged(parseName("carol"), B);
    assertEquals(await trust.trust(parseName("carol")), B);
    assertEquals(trust.pin(parseName("carol")), { fingerprint: B, verified: false });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
