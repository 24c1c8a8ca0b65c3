/**
 * The key schedule (docs/protocol.md §4): every secret the channel uses,
 * derived with HKDF-SHA-256 from the ECDH secret, salted with a transcript hash.
 *
 * @module
 */
import { AesGcmKey, KEY_LENGTH, NONCE_LENGTH } from "./aead.ts";
import { utf8 } from "./bytes.ts";
import { hkdf } from "./hkdf.ts";

/** Keys and IVs for both directions of one phase (handshake or application). */
export type DirectionalKeys = {
  readonly initiatorToResponder: { key: AesGcmKey; iv: Uint8Array };
  readonly responderToInitiator: { key: AesGcmKey; iv: Uint8Array };
};

/** HKDF labels; the version in them keeps keys of different protocol versions apart. */
export const Label = {
  handshake: "p2pchat/1 handshake keys",
  application: "p2pchat/1 application keys",
  sas: "p2pchat/1 short authentication string",
} as const;

/** Derives both directions' keys and IVs for one phase. */
export function deriveKeys(
  sharedSecret: Uint8Array,
  transcriptHash: Uint8Array,
  label: string,
): DirectionalKeys {
  const length = 2 * (KEY_LENGTH + NONCE_LENGTH);
  const okm = hkdf(sharedSecret, transcriptHash, utf8(label), length);
  // Views of the one buffer HKDF made, which nothing else holds: a channel keeps its four
  // values in one allocation (a directory keeps a channel per online user).
  const at = (offset: number, size: number): Uint8Array => okm.subarray(offset, offset + size);
  const i2rKey = AesGcmKey.adopt(at(0, KEY_LENGTH));
  const r2iKey = AesGcmKey.adopt(at(KEY_LENGTH, KEY_LENGTH));
  return {
    initiatorToResponder: { key: i2rKey, iv: at(2 * KEY_LENGTH, NONCE_LENGTH) },
    responderToInitiator: { key: r2iKey, iv: at(2 * KEY_LENGTH + NONCE_LENGTH, NONCE_LENGTH) },
  };
}

/** Digits in a short authentication string. */
export const SAS_DIGITS = 6;

/**
 * The short authentication string: 6 digits from the transcript up to the
 * reveal, shown as `123 456`. Nothing a party sends after that point can change
 * it, so a man in the middle cannot grind it (docs/protocol.md §5).
 */
export function deriveSas(commitTranscriptHash: Uint8Array): string {
  const bytes = hkdf(commitTranscriptHash, new Uint8Array(0), utf8(Label.sas), 4);
  const value = new DataView(bytes.buffer).getUint32(0) % 10 ** SAS_DIGITS;
  const digits = value.toString().padStart(SAS_DIGITS, "0");
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}
