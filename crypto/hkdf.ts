/**
 * HKDF-SHA-256 (RFC 5869), from node:crypto's hkdfSync: synchronous, so the
 * key schedule costs no turns of the event loop.
 *
 * @module
 */
import { hkdfSync } from "node:crypto";

/** Derives `length` bytes: HKDF-Expand(HKDF-Extract(salt, ikm), info, length). */
export function hkdf(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", ikm, salt, info, length));
}
