/**
 * What the client checks of every user entry the directory returns
 * (docs/protocol.md §7, §10), without I/O. An entry is taken only if its
 * name follows the name rules and is the name asked for (compared
 * case-folded), its key is a 32-byte Ed25519 key whose SHA-256 is the listed
 * fingerprint, and its addresses are IP literals (never host names, which
 * would make the client look up whatever a directory chose) with a usable
 * port. Anything else is `directory-inconsistent`: the user is warned and
 * nothing is opened.
 *
 * @module
 */
import { type Fingerprint, fromBase64, PublicIdentity } from "../../crypto/mod.ts";
import {
  InvalidNameError,
  type Name,
  type NameKey,
  nameKey,
  parseName,
  type UserEntry,
} from "../../protocol/mod.ts";

/** A user entry that passed every check. */
export type CheckedUser = {
  readonly name: Name;
  readonly peer: NameKey;
  readonly fingerprint: Fingerprint;
  readonly address: string;
  readonly port: number;
  /** Every address to try, the observed one first, without duplicates. */
  readonly addresses: readonly string[];
};

/** What was wrong with an entry. */
export type EntryProblem =
  | "wrong-name"
  | "bad-name"
  | "off-prefix"
  | "duplicate"
  | "bad-key"
  | "fingerprint-mismatch"
  | "bad-address"
  | "bad-port"
  /** The key is one pinned for someone else (the check itself cannot see this; the shell adds it). */
  | "key-of-another";

/** An entry refused, with what was asked and what came back (raw: the terminal makes it safe). */
export type Inconsistency = {
  readonly problem: EntryProblem;
  /** The name asked for, or the prefix listed. */
  readonly asked: string;
  /** The name the directory answered with. */
  readonly name: string;
  /** The fingerprint it listed (hex, as sent). */
  readonly listed: string;
  /** The fingerprint of the key it listed, when the key could be read. */
  readonly computed: string;
};

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Whether `text` is an IPv4 or IPv6 literal (not a host name). */
export function isIpLiteral(text: string): boolean {
  if (IPV4.test(text)) return true;
  if (!/^[0-9a-fA-F:.]{2,45}$/.test(text) || !text.includes(":")) return false;
  try {
    return new URL(`http://[${text}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

/**
 * Checks one entry; `asked` is the name looked up (case-folded comparison),
 * `prefix` the prefix listed.
 */
export function checkUser(
  entry: UserEntry,
  asked?: { name?: Name; prefix?: string },
): CheckedUser | Inconsistency {
  const problem = (kind: EntryProblem, computed = ""): Inconsistency => ({
    problem: kind,
    asked: asked?.name ?? asked?.prefix ?? "",
    name: entry.name,
    listed: entry.fingerprint,
    computed,
  });
  let name: Name;
  try {
    name = parseName(entry.name);
  } catch (error) {
    if (error instanceof InvalidNameError) return problem("bad-name");
    throw error;
  }
  if (asked?.name !== undefined && nameKey(asked.name) !== nameKey(name)) {
    return problem("wrong-name");
  }
  if (asked?.prefix !== undefined && !nameKey(name).startsWith(asked.prefix.toLowerCase())) {
    return problem("off-prefix");
  }
  let computed: Fingerprint;
  try {
    computed = PublicIdentity.fromRaw(fromBase64(entry.key)).fingerprint;
  } catch {
    return problem("bad-key");
  }
  if (computed !== entry.fingerprint) return problem("fingerprint-mismatch", computed);
  const addresses = [...new Set([entry.address, ...(entry.addresses ?? [])])];
  if (!addresses.every(isIpLiteral)) return problem("bad-address", computed);
  if (!Number.isInteger(entry.port) || entry.port < 1 || entry.port > 65535) {
    return problem("bad-port", computed);
  }
  return {
    name,
    peer: nameKey(name),
    fingerprint: computed,
    address: entry.address,
    port: entry.port,
    addresses,
  };
}

/** Checks a `list` answer: each entry, the prefix, and that no name comes twice. */
export function checkUsers(
  entries: readonly UserEntry[],
  prefix?: string,
): { users: CheckedUser[]; inconsistencies: Inconsistency[] } {
  const users: CheckedUser[] = [];
  const inconsistencies: Inconsistency[] = [];
  const seen = new Set<NameKey>();
  for (const entry of entries) {
    const checked = checkUser(entry, prefix === undefined ? undefined : { prefix });
    if ("problem" in checked) inconsistencies.push(checked);
    else if (seen.has(checked.peer)) {
      inconsistencies.push({
        problem: "duplicate",
        asked: prefix ?? "",
        name: entry.name,
        listed: entry.fingerprint,
        computed: checked.fingerprint,
      });
    } else {
      seen.add(checked.peer);
      users.push(checked);
    }
  }
  return { users, inconsistencies };
}
