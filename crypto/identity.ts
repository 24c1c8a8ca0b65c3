/**
 * Long-term Ed25519 identities. Keeping them on disk is storage's job
 * (`storage/identity_file.ts`); this module only makes, imports and uses them.
 *
 * Signing and verifying use node:crypto: synchronous, and measured here at
 * ~18 µs to sign and ~37 µs to verify against ~57 µs and ~69 µs through
 * WebCrypto; every handshake does one of each.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as signWith,
  verify as verifyWith,
} from "node:crypto";
import { fromBase64Url, toBase64Url } from "./bytes.ts";
import { type Fingerprint, fingerprintOf } from "./fingerprint.ts";

/** Length of a raw Ed25519 public key. */
export const PUBLIC_KEY_LENGTH = 32;
/** Length of an Ed25519 signature. */
export const SIGNATURE_LENGTH = 64;
/** Length of an Ed25519 private key (its seed, RFC 8032 §5.1.5). */
export const SEED_LENGTH = 32;
/** An Ed25519 private key in PKCS #8 DER is this prefix followed by the 32-byte seed (RFC 8410 §7). */
const PKCS8_ED25519_PREFIX = new Uint8Array([
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
]);

/** An Ed25519 private key as a JWK (RFC 8037): what the identity file holds. */
export type PrivateJwk = { kty: "OKP"; crv: "Ed25519"; x: string; d: string };

/** Someone's public identity: the raw key and its fingerprint. */
export class PublicIdentity {
  /** Raw 32-byte Ed25519 public key. */
  readonly key: Uint8Array;
  /** SHA-256 of the key: what people compare and what pins store. */
  readonly fingerprint: Fingerprint;

  private constructor(key: Uint8Array, fingerprint: Fingerprint) {
    this.key = key;
    this.fingerprint = fingerprint;
  }

  /** Imports a raw public key; throws `TypeError` if it is not a valid Ed25519 key. */
  static fromRaw(raw: Uint8Array): PublicIdentity {
    if (raw.length !== PUBLIC_KEY_LENGTH) {
      throw new TypeError(`Ed25519 public keys are ${PUBLIC_KEY_LENGTH} bytes`);
    }
    const copy = raw.slice();
    try {
      verifyKeyOf(copy);
    } catch (cause) {
      throw new TypeError("Not a valid Ed25519 public key", { cause });
    }
    return new PublicIdentity(copy, fingerprintOf(copy));
  }

  /** Checks an Ed25519 signature by this identity. */
  verify(signature: Uint8Array, message: Uint8Array): boolean {
    if (signature.length !== SIGNATURE_LENGTH) return false;
    try {
      return verifyWith(null, message, verifyKeyOf(this.key), signature);
    } catch {
      return false;
    }
  }
}

/** One's own identity: the public half and a non-extractable signing key. */
export class Identity {
  /** The public half, which the handshake proves and the directory lists. */
  readonly public: PublicIdentity;
  readonly #signKey: KeyObject;

  private constructor(publicIdentity: PublicIdentity, signKey: KeyObject) {
    this.public = publicIdentity;
    this.#signKey = signKey;
  }

  /** A fresh identity that lives only in memory until its owner stores it. */
  static generate(): Identity {
    return Identity.#fromJwk(newJwk());
  }

  /**
   * The identity whose private key is `seed` (32 bytes). For known-answer
   * vectors and tests; real identities come from generate().
   */
  static fromSeed(seed: Uint8Array): Identity {
    if (seed.length !== SEED_LENGTH) throw new RangeError(`Ed25519 seeds are ${SEED_LENGTH} bytes`);
    const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + SEED_LENGTH);
    der.set(PKCS8_ED25519_PREFIX);
    der.set(seed, PKCS8_ED25519_PREFIX.length);
    const key = createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" });
    return Identity.#fromJwk(key.export({ format: "jwk" }) as JsonWebKey);
  }

  /**
   * Imports a private JWK; throws `TypeError` if it is not an Ed25519 key whose
   * public half matches its private half.
   */
  static fromJwk(jwk: unknown): Identity {
    const { kty, crv, x, d } = (jwk ?? {}) as JsonWebKey;
    if (kty !== "OKP" || crv !== "Ed25519" || typeof d !== "string" || typeof x !== "string") {
      throw new TypeError("Not an Ed25519 private key");
    }
    try {
      return Identity.#fromJwk({ kty, crv, x, d });
    } catch (cause) {
      throw new TypeError("Not a valid Ed25519 private key", { cause });
    }
  }

  /** The private key as a JWK, for writing the identity file; never log or show it. */
  exportJwk(): PrivateJwk {
    const { x, d } = this.#signKey.export({ format: "jwk" }) as JsonWebKey;
    return { kty: "OKP", crv: "Ed25519", x: x!, d: d! };
  }

  /** Signs `message` with the identity key. */
  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(signWith(null, message, this.#signKey));
  }

  static #fromJwk(jwk: JsonWebKey): Identity {
    const { kty, crv, x, d } = jwk;
    const signKey = createPrivateKey({
      key: { kty: kty!, crv: crv!, x: x!, d: d! },
      format: "jwk",
    });
    const publicJwk = createPublicKey(signKey).export({ format: "jwk" });
    const publicIdentity = PublicIdentity.fromRaw(fromBase64Url(publicJwk.x!));
    const identity = new Identity(publicIdentity, signKey);
    // A file whose public half does not match its private half would make every handshake fail later.
    const probe = new Uint8Array(32);
    if (x !== publicJwk.x || !identity.public.verify(identity.sign(probe), probe)) {
      throw new Error("the public key does not match the private key");
    }
    return identity;
  }
}

function newJwk(): JsonWebKey {
  const { privateKey } = generateKeyPairSync("ed25519");
  return privateKey.export({ format: "jwk" }) as JsonWebKey;
}

// Built per use (~7 µs) rather than kept: a directory holds one PublicIdentity
// per online user, and a native key object each would cost memory for nothing.
function verifyKeyOf(raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: toBase64Url(raw) },
    format: "jwk",
  });
}
