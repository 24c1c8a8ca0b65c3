/**
 * AES-256-GCM sealing and opening for handshake and application records.
 *
 * Wire layout of a sealed value: `ciphertext || tag (16 bytes)`; the 12-byte
 * nonce is never sent, both ends build it (see nonce_counter.ts).
 *
 * Two implementations of the same primitive are used by size, because they
 * cost differently in Deno (`deno task bench-primitives`): a 100-byte seal
 * takes ~4 µs in `node:crypto` and ~43 µs in WebCrypto, a 64 KiB seal ~380 µs
 * and ~132 µs.
 * AES-GCM is deterministic, so either gives the same bytes.
 *
 * @module
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { buf } from "./bytes.ts";

/** Length of an AES-256 key. */
export const KEY_LENGTH = 32;
/** Length of a GCM nonce. */
export const NONCE_LENGTH = 12;
/** Length of a GCM tag. */
export const TAG_LENGTH = 16;
/** Plaintexts up to this size go through node:crypto, larger ones through WebCrypto. */
export const SMALL_PLAINTEXT = 8 * 1024;

/** An AES-256-GCM key that seals and opens with caller-built nonces. */
export class AesGcmKey {
  readonly #raw: Uint8Array;
  // Imported into WebCrypto only when a large record first needs it: most
  // channels (directory sessions, chats) never carry one, and an idle
  // server holds thousands of them.
  #web: Promise<CryptoKey> | undefined;

  private constructor(raw: Uint8Array) {
    this.#raw = raw;
  }

  /** Imports 32 raw key bytes (a copy: the caller may reuse its buffer). */
  static import(raw: Uint8Array): AesGcmKey {
    return AesGcmKey.adopt(raw.slice());
  }

  /**
   * Takes 32 raw key bytes as they are, without a copy: only for key
   * material the caller made and nothing else holds or changes.
   */
  static adopt(raw: Uint8Array): AesGcmKey {
    if (raw.length !== KEY_LENGTH) throw new RangeError(`AES-256 keys are ${KEY_LENGTH} bytes`);
    return new AesGcmKey(raw);
  }

  #webKey(): Promise<CryptoKey> {
    this.#web ??= crypto.subtle.importKey("raw", buf(this.#raw), "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
    return this.#web;
  }

  /**
   * Encrypts and authenticates `plaintext` with `aad`; returns
   * `prefix zero bytes || ciphertext || tag`, the prefix left for the caller
   * (a record fills it with its header, saving a copy). Small plaintexts are
   * sealed synchronously (the value is not a promise), so callers can batch
   * them without waiting a turn of the event loop.
   */
  seal(
    nonce: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array,
    prefix = 0,
  ): Uint8Array | Promise<Uint8Array> {
    checkNonce(nonce);
    if (plaintext.length <= SMALL_PLAINTEXT) {
      const cipher = createCipheriv("aes-256-gcm", this.#raw, nonce);
      cipher.setAAD(aad);
      const head = cipher.update(plaintext);
      const tail = cipher.final();
      const out = new Uint8Array(prefix + head.length + tail.length + TAG_LENGTH);
      out.set(head, prefix);
      if (tail.length > 0) out.set(tail, prefix + head.length);
      out.set(cipher.getAuthTag(), prefix + head.length + tail.length);
      return out;
    }
    return this.#sealLarge(nonce, plaintext, aad, prefix);
  }

  async #sealLarge(
    nonce: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array,
    prefix: number,
  ): Promise<Uint8Array> {
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: buf(nonce), additionalData: buf(aad), tagLength: TAG_LENGTH * 8 },
      await this.#webKey(),
      buf(plaintext),
    );
    if (prefix === 0) return new Uint8Array(sealed);
    const out = new Uint8Array(prefix + sealed.byteLength);
    out.set(new Uint8Array(sealed), prefix);
    return out;
  }

  /**
   * Verifies and decrypts `ciphertext || tag`; null when authentication fails.
   * Small values are opened synchronously, as in seal().
   */
  open(
    nonce: Uint8Array,
    sealed: Uint8Array,
    aad: Uint8Array,
  ): Uint8Array | null | Promise<Uint8Array | null> {
    checkNonce(nonce);
    if (sealed.length < TAG_LENGTH) return null;
    const ciphertextLength = sealed.length - TAG_LENGTH;
    if (ciphertextLength <= SMALL_PLAINTEXT) {
      const decipher = createDecipheriv("aes-256-gcm", this.#raw, nonce);
      decipher.setAAD(aad);
      decipher.setAuthTag(sealed.subarray(ciphertextLength));
      const head = decipher.update(sealed.subarray(0, ciphertextLength));
      try {
        const tail = decipher.final();
        if (tail.length === 0) return new Uint8Array(head.buffer, head.byteOffset, head.length);
        const out = new Uint8Array(head.length + tail.length);
        out.set(head);
        out.set(tail, head.length);
        return out;
      } catch {
        return null;
      }
    }
    return this.#openLarge(nonce, sealed, aad);
  }

  async #openLarge(
    nonce: Uint8Array,
    sealed: Uint8Array,
    aad: Uint8Array,
  ): Promise<Uint8Array | null> {
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: buf(nonce), additionalData: buf(aad), tagLength: TAG_LENGTH * 8 },
        await this.#webKey(),
        buf(sealed),
      );
      return new Uint8Array(plain);
    } catch {
      return null;
    }
  }
}

function checkNonce(nonce: Uint8Array): void {
  if (nonce.length !== NONCE_LENGTH) throw new RangeError(`GCM nonces are ${NONCE_LENGTH} bytes`);
}
