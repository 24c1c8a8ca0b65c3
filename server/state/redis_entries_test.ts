import { assertEquals } from "../../tests/assert.ts";
import { Identity, toBase64 } from "../../crypto/mod.ts";
import { parsePresence, storedEntry } from "./redis_entries.ts";

// Hole punching (docs/protocol.md §11.2).
Deno.test("a presence keeps a NATed user's observed port, and reads one stored without it", () => {
  const key = Identity.generate().public;
  const entry = {
    name: "alice",
    address: "203.0.113.7",
    port: 40123,
    key: toBase64(key.key),
    fingerprint: key.fingerprint,
    addresses: ["192.168.1.20"],
  };
  const natted = { ...entry, observedPort: 51234 };
  assertEquals(parsePresence(`i1 7 ${storedEntry(natted)}`), {
    instance: "i1",
    session: 7,
    entry: natted,
  });
  // What an instance of an older release stored (five fields) reads without the port.
  const older = JSON.stringify(["alice", "203.0.113.7", 40123, entry.key, ["192.168.1.20"]]);
  assertEquals(parsePresence(`i1 7 ${older}`).entry, entry);
  assertEquals(storedEntry(entry), older, "and an entry without one is stored as before");
});
