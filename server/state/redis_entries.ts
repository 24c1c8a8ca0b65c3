/**
 * Presences as kept in Redis (redis_scripts.ts): `<instance> <session>
 * <entry>`, the entry a JSON array without field names or the fingerprint
 * (recomputed from the key), to keep Redis near 0.7 KiB a user.
 *
 * @module
 */
import type { UserEntry } from "../../protocol/mod.ts";
import { fingerprintOf, fromBase64 } from "../../crypto/mod.ts";

/** A user entry as kept in a presence. */
export function storedEntry(entry: UserEntry): string {
  const fields = [entry.name, entry.address, entry.port, entry.key, entry.addresses ?? []];
  // Hole punching (§11.2): last, so that an instance of an older release reads the rest.
  return JSON.stringify(
    entry.observedPort === undefined ? fields : [...fields, entry.observedPort],
  );
}

/** A presence as kept in Redis: who holds it and the user entry. */
export function parsePresence(
  value: string,
): { instance: string; session: number; entry: UserEntry } {
  const first = value.indexOf(" ");
  const second = value.indexOf(" ", first + 1);
  const [name, address, port, key, addresses, observedPort] = JSON.parse(
    value.slice(second + 1),
  ) as [string, string, number, string, string[], number | undefined];
  return {
    instance: value.slice(0, first),
    session: Number(value.slice(first + 1, second)),
    entry: {
      name,
      address,
      port,
      key,
      fingerprint: fingerprintOf(fromBase64(key)),
      addresses,
      ...(observedPort === undefined ? {} : { observedPort }),
    },
  };
}
