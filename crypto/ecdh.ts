/**
 * Ephemeral ECDH P-256 key pairs, one per connection, from node:crypto:
 * synchronous, and ~0.6 ms for a key pair, its encoding and the agreement,
 * against ~0.8 ms through WebCrypto (`deno task bench-primitives`). The handshake runs this on every connection, so it bounds
 * how many registrations a directory can take per second.
 *
 * @module
 */
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { fromBase64Url, toBase64Url } from "./bytes.ts";

/** Length of an uncompressed P-256 public key: `0x04 || x (32) || y (32)`. */
export const EPHEMERAL_KEY_LENGTH = 65;
const COORDINATE = 32;

/**
 * An initiator's ephemeral key kept across connection attempts that ended
 * before it was revealed (the responder never answered the Commit, as a busy
 * directory that drops connections does): it was never revealed, so
 * committing to it again binds it as firmly, and the retry costs no key
 * generation (docs/protocol.md §3). A key that was revealed is never reused.
 */
export class UnrevealedEphemeral {
  #kept: EphemeralKey | undefined;

  /** The kept key, or a fresh one. */
  take(): EphemeralKey {
    const key = this.#kept ?? EphemeralKey.generate();
    this.#kept = undefined;
    return key;
  }

  /** Keeps `key` for the next attempt: call only when it was never revealed. */
  keep(key: EphemeralKey): void {
    this.#kept = key;
  }
}

/** One side's ephemeral key pair; the private half never leaves this object. */
export class EphemeralKey {
  /** The public key, uncompressed (SEC 1 §2.3.3). */
  readonly publicRaw: Uint8Array;
  readonly #private: KeyObject;

  private constructor(privateKey: KeyObject, publicRaw: Uint8Array) {
    this.#private = privateKey;
    this.publicRaw = publicRaw;
  }

  /** A fresh key pair. */
  static generate(): EphemeralKey {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const raw = new Uint8Array(EPHEMERAL_KEY_LENGTH);
    raw[0] = 0x04;
    raw.set(fromBase64Url(jwk.x!), 1);
    raw.set(fromBase64Url(jwk.y!), 1 + COORDINATE);
    return new EphemeralKey(privateKey, raw);
  }

  /**
   * The key pair with private scalar `d` (32 bytes, big-endian): for
   * known-answer vectors only; real handshakes use generate().
   */
  static fromPrivate(d: Uint8Array): EphemeralKey {
    if (d.length !== COORDINATE) throw new RangeError(`P-256 private keys are ${COORDINATE} bytes`);
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(d);
    const raw = new Uint8Array(ecdh.getPublicKey());
    const privateKey = createPrivateKey({
      key: {
        kty: "EC",
        crv: "P-256",
        d: toBase64Url(d),
        x: toBase64Url(raw.subarray(1, 1 + COORDINATE)),
        y: toBase64Url(raw.subarray(1 + COORDINATE)),
      },
      format: "jwk",
    });
    return new EphemeralKey(privateKey, raw);
  }

  /** The shared secret with the peer's uncompressed public key; throws TypeError if it is not a P-256 point. */
  agree(peerRaw: Uint8Array): Uint8Array {
    if (peerRaw.length !== EPHEMERAL_KEY_LENGTH || peerRaw[0] !== 0x04) {
      throw new TypeError("Not an uncompressed P-256 public key");
    }
    let peer: KeyObject;
    try {
      peer = createPublicKey({
        key: {
          kty: "EC",
          crv: "P-256",
          x: toBase64Url(peerRaw.subarray(1, 1 + COORDINATE)),
          y: toBase64Url(peerRaw.subarray(1 + COORDINATE)),
        },
        format: "jwk",
      });
    } catch (cause) {
      throw new TypeError("Not a point on P-256", { cause });
    }
    return new Uint8Array(diffieHellman({ privateKey: this.#private, publicKey: peer }));
  }
}
