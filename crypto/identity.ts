/**
 * Long-term Ed25519 identities: generated on first use, kept in the data
 * directory as a private JWK file (mode 0600), never exported again.
 *
 * Signing and verifying use node:crypto: synchronous, and measured here at
 * ~18 µs to sign and ~37 µs to verify against ~57 µs and ~69 µs through
 * WebCrypto; every handshake does one of each.
 *
 * @module
 */
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
import { readPrivateFile, writePrivateFile } from "../storage/secure_file.ts";
import { StorageError } from "../storage/errors.ts";

/** Length of a raw Ed25519 public key. */
export const PUBLIC_KEY_LENGTH = 32;
/** Length of an Ed25519 signature. */
export const SIGNATURE_LENGTH = 64;
/** File name of the identity inside the data directory. */
export const IDENTITY_FILE = "identity.key";

/** Someone's public identity: the raw key and its fingerprint. */
export class PublicIdentity {
  /** Raw 32-byte Ed25519 public key. */
  readonly key: Uint8Array;
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
  readonly public: PublicIdentity;
  readonly #signKey: KeyObject;

  private constructor(publicIdentity: PublicIdentity, signKey: KeyObject) {
    this.public = publicIdentity;
    this.#signKey = signKey;
  }

  /** A fresh identity that lives only in memory. */
  static generate(): Identity {
    return Identity.#fromJwk(newJwk());
  }

  /** Loads the identity at `path`, creating it (mode 0600) on first use. */
  static async loadOrCreate(path: string): Promise<{ identity: Identity; created: boolean }> {
    const existing = await readPrivateFile(path);
    if (existing !== null) return { identity: Identity.#parse(path, existing), created: false };
    const jwk = newJwk();
    const { kty, crv, x, d } = jwk;
    await writePrivateFile(path, JSON.stringify({ kty, crv, x, d }) + "\n");
    return { identity: Identity.#fromJwk(jwk), created: true };
  }

  /** Signs `message` with the identity key. */
  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(signWith(null, message, this.#signKey));
  }

  static #parse(path: string, bytes: Uint8Array): Identity {
    try {
      const jwk = JSON.parse(new TextDecoder().decode(bytes)) as JsonWebKey;
      if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !jwk.d || !jwk.x) {
        throw new Error("not an Ed25519 key");
      }
      return Identity.#fromJwk(jwk);
    } catch (cause) {
      throw new StorageError(
        "malformed",
        path,
        `Cannot load identity ${path}: the file is not a p2pchat identity key; restore it from a backup or move it away to create a new identity`,
        { cause },
      );
    }
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
