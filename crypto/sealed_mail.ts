/**
 * Sealed messages for people who are offline (docs/protocol.md §12): a
 * sender seals to the recipient's signed prekey with a fresh ephemeral ECDH
 * P-256 key, HKDF-SHA-256 and AES-256-GCM, and signs what is inside with its
 * Ed25519 identity, bound to the recipient's identity and prekey. The
 * directory holds the envelope and learns who, to whom, how big and when;
 * it can neither read nor alter nor forge one undetected.
 *
 * Envelope: `version (1) || sender identity (32) || recipient identity (32)
 * || prekey (65) || ephemeral (65) || AES-256-GCM(signature (64) || body)`,
 * with the 195-byte header as the AEAD's associated data.
 *
 * @module
 */
import { generateKeyPairSync } from "node:crypto";
import { concatBytes, equalBytes, fromBase64Url, toBase64Url, utf8 } from "./bytes.ts";
import { EPHEMERAL_KEY_LENGTH, EphemeralKey } from "./ecdh.ts";
import { MailError } from "./errors.ts";
import { hkdf } from "./hkdf.ts";
import { AesGcmKey, KEY_LENGTH } from "./aead.ts";
import { type Identity, PUBLIC_KEY_LENGTH, PublicIdentity, SIGNATURE_LENGTH } from "./identity.ts";

/** The envelope format's version byte. */
export const MAIL_VERSION = 1;
/** Bytes before the ciphertext. */
export const MAIL_HEADER_LENGTH: number = 1 + 2 * PUBLIC_KEY_LENGTH + 2 * EPHEMERAL_KEY_LENGTH;
/** Domain separation: what a prekey signature covers starts with this. */
export const PREKEY_CONTEXT: Uint8Array = utf8("p2pchat/1 prekey\0");
/** Domain separation of the message signature. */
export const MAIL_SIGNATURE_CONTEXT: Uint8Array = utf8("p2pchat/1 mail signature\0");
/** HKDF info prefix of the message key. */
export const MAIL_KEY_CONTEXT: Uint8Array = utf8("p2pchat/1 mail key\0");

/** A prekey as its owner publishes it: the public key, when it was made, the owner's signature. */
export type SignedPrekey = {
  /** Uncompressed P-256 public key (65 bytes). */
  readonly key: Uint8Array;
  /** Milliseconds since the epoch. */
  readonly created: number;
  /** Ed25519 signature over PREKEY_CONTEXT || key || created (8 bytes, big-endian). */
  readonly signature: Uint8Array;
};

/** The bytes a prekey signature covers. */
export function prekeySignedBytes(key: Uint8Array, created: number): Uint8Array {
  const time = new Uint8Array(8);
  new DataView(time.buffer).setBigUint64(0, BigInt(created));
  return concatBytes(PREKEY_CONTEXT, key, time);
}

/** Whether `prekey` is a P-256 key signed by `owner`. */
export function verifyPrekey(owner: PublicIdentity, prekey: SignedPrekey): boolean {
  return prekey.key.length === EPHEMERAL_KEY_LENGTH && prekey.key[0] === 0x04 &&
    Number.isSafeInteger(prekey.created) && prekey.created >= 0 &&
    owner.verify(prekey.signature, prekeySignedBytes(prekey.key, prekey.created));
}

/** One's own prekey: the key pair (the private half stays inside) and when it was made. */
export class Prekey {
  /** Milliseconds since the epoch. */
  readonly created: number;
  readonly #key: EphemeralKey;
  readonly #d: Uint8Array;

  private constructor(d: Uint8Array, created: number) {
    this.#d = d;
    this.#key = EphemeralKey.fromPrivate(d);
    this.created = created;
  }

  /** A fresh prekey made at `created`. */
  static generate(created: number): Prekey {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    return new Prekey(fromBase64Url(privateKey.export({ format: "jwk" }).d!), created);
  }

  /** Reads what toJSON() wrote; throws TypeError when it is not a P-256 private key. */
  static fromJSON(value: unknown): Prekey {
    const { d, created } = (value ?? {}) as { d?: unknown; created?: unknown };
    if (typeof d !== "string" || !Number.isSafeInteger(created)) {
      throw new TypeError("Not a prekey");
    }
    const scalar = fromBase64Url(d);
    if (scalar.length !== 32) throw new TypeError("Not a P-256 private key");
    return new Prekey(scalar, created as number);
  }

  /** The private key, for the prekey file; never log or show it. */
  toJSON(): { d: string; created: number } {
    return { d: toBase64Url(this.#d), created: this.created };
  }

  /** The public key (65 bytes). */
  get public(): Uint8Array {
    return this.#key.publicRaw;
  }

  /** This prekey, signed by its owner for publishing. */
  signedBy(owner: Identity): SignedPrekey {
    const key = this.public;
    return {
      key,
      created: this.created,
      signature: owner.sign(prekeySignedBytes(key, this.created)),
    };
  }

  /** ECDH with a peer's public key. */
  agree(peer: Uint8Array): Uint8Array {
    return this.#key.agree(peer);
  }
}

function messageKey(secret: Uint8Array, header: Uint8Array): { key: AesGcmKey; nonce: Uint8Array } {
  // The header carries both identities, the prekey and the ephemeral key.
  const okm = hkdf(secret, new Uint8Array(32), concatBytes(MAIL_KEY_CONTEXT, header), 44);
  return { key: AesGcmKey.import(okm.subarray(0, KEY_LENGTH)), nonce: okm.subarray(KEY_LENGTH) };
}

function signedBytes(header: Uint8Array, body: Uint8Array): Uint8Array {
  return concatBytes(MAIL_SIGNATURE_CONTEXT, header, body);
}

/**
 * Seals `body` from `sender` to `recipient` under the recipient's prekey
 * (already checked with verifyPrekey). Each call uses a fresh ephemeral key.
 */
export async function sealMail(
  sender: Identity,
  recipient: PublicIdentity,
  prekey: Uint8Array,
  body: Uint8Array,
): Promise<Uint8Array> {
  const ephemeral = EphemeralKey.generate();
  const header = concatBytes(
    Uint8Array.of(MAIL_VERSION),
    sender.public.key,
    recipient.key,
    prekey,
    ephemeral.publicRaw,
  );
  const { key, nonce } = messageKey(ephemeral.agree(prekey), header);
  const inner = concatBytes(sender.sign(signedBytes(header, body)), body);
  return concatBytes(header, await key.seal(nonce, inner, header));
}

/** An opened message: who signed it, which of our prekeys it was sealed to, and the body. */
export type OpenedMail = { sender: PublicIdentity; prekey: Prekey; body: Uint8Array };

/** The smallest envelope: header, signature and AEAD tag around an empty body. */
const MIN_ENVELOPE_LENGTH = MAIL_HEADER_LENGTH + SIGNATURE_LENGTH + 16;

/**
 * The raw sender and recipient identity keys an envelope names, read without
 * opening it (the directory checks them at deposit, a recipient looks up its
 * pins); undefined when it is cut short or of an unknown version.
 */
export function mailParties(
  envelope: Uint8Array,
): { sender: Uint8Array; recipient: Uint8Array } | undefined {
  if (envelope.length < MIN_ENVELOPE_LENGTH || envelope[0] !== MAIL_VERSION) return undefined;
  return {
    sender: envelope.subarray(1, 1 + PUBLIC_KEY_LENGTH),
    recipient: envelope.subarray(1 + PUBLIC_KEY_LENGTH, 1 + 2 * PUBLIC_KEY_LENGTH),
  };
}

/** The sender identity an envelope claims, before opening (to look up pins); undefined if malformed. */
export function mailSender(envelope: Uint8Array): PublicIdentity | undefined {
  const parties = mailParties(envelope);
  try {
    return parties && PublicIdentity.fromRaw(parties.sender);
  } catch {
    return undefined;
  }
}

/**
 * Opens an envelope addressed to `recipient` with one of `prekeys`. Throws
 * MailError: `malformed`, `not-for-me` (another recipient), `unknown-prekey`
 * (not one we keep: too old, or never ours), `tampered` (the AEAD fails),
 * `bad-signature` (the sender did not sign this for us under this prekey).
 */
export async function openMail(
  recipient: PublicIdentity,
  prekeys: readonly Prekey[],
  envelope: Uint8Array,
): Promise<OpenedMail> {
  if (!mailParties(envelope)) {
    throw new MailError("malformed", "A sealed message is cut short or of an unknown version");
  }
  const header = envelope.subarray(0, MAIL_HEADER_LENGTH);
  let at = 1;
  const take = (n: number) => header.subarray(at, at += n);
  const senderKey = take(PUBLIC_KEY_LENGTH);
  const recipientKey = take(PUBLIC_KEY_LENGTH);
  const prekeyKey = take(EPHEMERAL_KEY_LENGTH);
  const ephemeral = take(EPHEMERAL_KEY_LENGTH);
  if (!equalBytes(recipientKey, recipient.key)) {
    throw new MailError("not-for-me", "A sealed message is addressed to another key");
  }
  const prekey = prekeys.find((p) => equalBytes(p.public, prekeyKey));
  if (!prekey) {
    throw new MailError(
      "unknown-prekey",
      "A sealed message was sealed to a prekey this client no longer keeps (older than 30 days)",
    );
  }
  let sender: PublicIdentity;
  let secret: Uint8Array;
  try {
    sender = PublicIdentity.fromRaw(senderKey);
    secret = prekey.agree(ephemeral);
  } catch {
    throw new MailError("malformed", "A sealed message carries an invalid key");
  }
  const { key, nonce } = messageKey(secret, header);
  const inner = await key.open(nonce, envelope.subarray(MAIL_HEADER_LENGTH), header);
  if (inner === null || inner.length < SIGNATURE_LENGTH) {
    throw new MailError("tampered", "A sealed message was altered after it was sealed");
  }
  const body = inner.slice(SIGNATURE_LENGTH);
  if (!sender.verify(inner.subarray(0, SIGNATURE_LENGTH), signedBytes(header, body))) {
    throw new MailError("bad-signature", "A sealed message is not signed by the key it names");
  }
  return { sender, prekey, body };
}
