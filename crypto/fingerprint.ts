/**
 * Fingerprints: SHA-256 of an identity's raw 32-byte Ed25519 public key,
 * shown as 16 groups of 4 hex digits so two people can read it aloud.
 *
 * @module
 */
import { sha256, toHex } from "./bytes.ts";

/** 64 lower-case hex digits: SHA-256 of a raw Ed25519 public key. */
export type Fingerprint = string & { readonly __brand: "Fingerprint" };

const GROUP = 4;

/** Computes the fingerprint of a raw public key. */
export function fingerprintOf(rawPublicKey: Uint8Array): Fingerprint {
  return toHex(sha256(rawPublicKey)) as Fingerprint;
}

/** `3f2a 9c01 …`: the fingerprint in fixed-width groups. */
export function formatFingerprint(fingerprint: Fingerprint): string {
  return fingerprint.match(new RegExp(`.{${GROUP}}`, "g"))?.join(" ") ?? fingerprint;
}

/** Parses a fingerprint typed by a person (spaces, colons and case ignored); null if malformed. */
export function parseFingerprint(text: string): Fingerprint | null {
  const hex = text.replace(/[\s:]/g, "").toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex as Fingerprint : null;
}
