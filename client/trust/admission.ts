/**
 * Whom the client talks to, decided without I/O (docs/protocol.md §10): the
 * key pinned for a name (TOFU), the key the directory lists for it, and the
 * key the peer proved in the handshake, in, and admit or refuse (with the
 * reason the user is warned with) out.
 *
 * @module
 */
import type { Fingerprint } from "../../crypto/mod.ts";
import type { Pin } from "./pin_file.ts";

/** How well a peer's key is known. */
export type KeyStatus = "new" | "pinned" | "verified";

/** Why a peer is refused; each is a `security-warning` reason (docs/cli.md). */
export type RefusalReason =
  /** The key listed or proven differs from the one pinned for the name. */
  | "key-changed"
  /** The peer at the listed address proved another key than the one listed. */
  | "unexpected-key"
  /** An incoming peer proved another key than the one the directory lists for the name it claims. */
  | "directory-mismatch"
  /** An incoming peer claims a name the directory does not list, and no pin vouches for it. */
  | "unlisted";

/** A decision: admit with how well the key is known, or refuse and why. */
export type Admission =
  | { readonly admit: true; readonly status: KeyStatus }
  | {
    readonly admit: false;
    readonly reason: RefusalReason;
    /** The key that was due (pinned or listed); empty when none. */
    readonly expected: Fingerprint | "";
    readonly got: Fingerprint;
  };

/** A refused admission. */
export type Refusal = Extract<Admission, { admit: false }>;

function byPin(pin: Pin | undefined, key: Fingerprint): Admission {
  if (!pin) return { admit: true, status: "new" };
  if (pin.fingerprint !== key) {
    return { admit: false, reason: "key-changed", expected: pin.fingerprint, got: key };
  }
  return { admit: true, status: pin.verified ? "verified" : "pinned" };
}

/** Before dialing: the key the directory lists for a name, against the pin for it. */
export function admitListed(pin: Pin | undefined, listed: Fingerprint): Admission {
  return byPin(pin, listed);
}

/**
 * After a handshake: the key the peer proved, against what the directory
 * lists for the name (undefined when it lists nobody) and the pin.
 */
export function admitProven(
  role: "initiator" | "responder",
  pin: Pin | undefined,
  listed: Fingerprint | undefined,
  proven: Fingerprint,
): Admission {
  if (listed === undefined) {
    if (pin?.fingerprint === proven) return byPin(pin, proven);
    return pin
      ? { admit: false, reason: "key-changed", expected: pin.fingerprint, got: proven }
      : { admit: false, reason: "unlisted", expected: "", got: proven };
  }
  if (listed !== proven) {
    return {
      admit: false,
      reason: role === "initiator" ? "unexpected-key" : "directory-mismatch",
      expected: listed,
      got: proven,
    };
  }
  return byPin(pin, proven);
}
