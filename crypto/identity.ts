/**
 * Long-term Ed25519 identities: generated on first use, kept in the data
 * directory as a private JWK file (mode 0600), never exported again.
 *
 * @module
 */
import { buf } from "./bytes.ts";
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
  readonly #verifyKey: CryptoKey;

  private constructor(key: Uint8Array, fingerprint: Fingerprint, verifyKey: CryptoKey) {
    this.key = key;
    this.fingerprint = fingerprint;
    this.#verifyKey = verifyKey;
  }

  /** Imports a raw public key; throws `TypeError` if it is not a valid Ed25519 key. */
  static async fromRaw(raw: Uint8Array): Promise<PublicIdentity> {
    if (raw.length !== PUBLIC_KEY_LENGTH) {
      throw new TypeError(`Ed25519 public keys are ${PUBLIC_KEY_LENGTH} bytes`);
    }
    const copy = raw.slice();
    let verifyKey: CryptoKey;
    try {
      verifyKey = await crypto.subtle.importKey("raw", buf(copy), "Ed25519", true, ["verify"]);
    } catch (cause) {
      throw new TypeError("Not a valid Ed25519 public key", { cause });
    }
    return new PublicIdentity(copy, await fingerprintOf(copy), verifyKey);
  }

  /** Checks an Ed25519 signature by this identity. */
  async verify(signature: Uint8Array, message: Uint8Array): Promise<boolean> {
    if (signature.length !== SIGNATURE_LENGTH) return false;
    try {
      return await crypto.subtle.verify("Ed25519", this.#verifyKey, buf(signature), buf(message));
    } catch {
      return false;
    }
  }
}

/** One's own identity: the public half and a non-extractable signing key. */
export class Identity {
  readonly public: PublicIdentity;
  readonly #signKey: CryptoKey;

  private constructor(publicIdentity: PublicIdentity, signKey: CryptoKey) {
    this.public = publicIdentity;
    this.#signKey = signKey;
  }

  /** A fresh identity that lives only in memory. */
  static async generate(): Promise<Identity> {
    const pair = await crypto.subtle.generateKey("Ed25519", true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    return await Identity.#fromJwk(await crypto.subtle.exportKey("jwk", pair.privateKey));
  }

  /** Loads the identity at `path`, creating it (mode 0600) on first use. */
  static async loadOrCreate(path: string): Promise<{ identity: Identity; created: boolean }> {
    const existing = await readPrivateFile(path);
    if (existing !== null) {
      return { identity: await Identity.#parse(path, existing), created: false };
    }
    const pair = await crypto.subtle.generateKey("Ed25519", true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
    const { kty, crv, x, d } = jwk;
    await writePrivateFile(path, JSON.stringify({ kty, crv, x, d }) + "\n");
    return { identity: await Identity.#fromJwk(jwk), created: true };
  }

  /** Signs `message` with the identity key. */
  async sign(message: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.sign("Ed25519", this.#signKey, buf(message)));
  }

  static async #parse(path: string, bytes: Uint8Array): Promise<Identity> {
    try {
      const jwk = JSON.parse(new TextDecoder().decode(bytes)) as JsonWebKey;
      if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !jwk.d || !jwk.x) {
        throw new Error("not an Ed25519 key");
      }
      return await Identity.#fromJwk(jwk);
    } catch (cause) {
      throw new StorageError(
        "malformed",
        path,
        `Cannot load identity ${path}: the file is not a p2pchat identity key; restore it from a backup or move it away to create a new identity`,
        { cause },
      );
    }
  }

  static async #fromJwk(jwk: JsonWebKey): Promise<Identity> {
    const { kty, crv, x, d } = jwk;
    const signKey = await crypto.subtle.importKey("jwk", { kty, crv, x, d }, "Ed25519", false, [
      "sign",
    ]);
    const publicKey = await crypto.subtle.importKey("jwk", { kty, crv, x }, "Ed25519", true, [
      "verify",
    ]);
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", publicKey));
    const identity = new Identity(await PublicIdentity.fromRaw(raw), signKey);
    // A file whose public half does not match its private half would make every handshake fail later.
    const probe = new Uint8Array(32);
    if (!await identity.public.verify(await identity.sign(probe), probe)) {
      throw new Error("the public key does not match the private key");
    }
    return identity;
  }
}
