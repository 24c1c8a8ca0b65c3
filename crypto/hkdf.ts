/**
 * HKDF-SHA-256 (RFC 5869), straight from WebCrypto.
 *
 * @module
 */
import { buf } from "./bytes.ts";

/** Derives `length` bytes: HKDF-Expand(HKDF-Extract(salt, ikm), info, length). */
export async function hkdf(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", buf(ikm), "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: buf(salt), info: buf(info) },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}
