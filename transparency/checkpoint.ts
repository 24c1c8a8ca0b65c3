/**
 * A checkpoint (docs/protocol.md §15.3): what the directory commits to after
 * each batch of log entries, signed with its identity key. Byte by byte:
 *
 *     context   "p2pchat/1 checkpoint\0"          (21)
 *     origin    the directory's Ed25519 key         (32)
 *     size      log entries, big-endian             (8)
 *     log root  RFC 9162 head of the first size     (32)
 *     map root  the binding map's root then         (32)
 *     time      ms since the epoch, big-endian      (8)
 *     signature Ed25519(origin, all of the above)   (64, sent beside)
 *
 * The origin is inside what is signed, so a checkpoint of one directory is
 * never taken for another's.
 *
 * @example
 * ```ts
 * import { signCheckpoint, verifyCheckpoint } from "./checkpoint.ts";
 * import { Identity } from "../crypto/mod.ts";
 *
 * const directory = Identity.generate();
 * const signed = signCheckpoint(directory, {
 *   size: 0, logRoot: new Uint8Array(32), mapRoot: new Uint8Array(32), time: Date.now(),
 * });
 * console.log(verifyCheckpoint(directory.public, signed) !== null); // true
 * ```
 *
 * @module
 */
import { HASH_LENGTH } from "./merkle_log.ts";

/** What verifies a checkpoint: the directory's public key (a PublicIdentity). */
export interface CheckpointVerifier {
  /** The raw Ed25519 key, the checkpoint's origin. */
  readonly key: Uint8Array;
  /** Whether `signature` over `message` is this key's. */
  verify(signature: Uint8Array, message: Uint8Array): boolean;
}

/** What signs a checkpoint: the directory's identity (an Identity). */
export interface CheckpointSigner {
  /** The public half, whose key is the origin. */
  readonly public: { readonly key: Uint8Array };
  /** An Ed25519 signature over `message`. */
  sign(message: Uint8Array): Uint8Array;
}

/** Domain separation: what a checkpoint signature covers starts with this. */
export const CHECKPOINT_CONTEXT: Uint8Array = new TextEncoder().encode("p2pchat/1 checkpoint\0");
/** Length of the signed body. */
export const CHECKPOINT_BODY_LENGTH: number = CHECKPOINT_CONTEXT.length + 32 + 8 + 32 + 32 + 8;
/** Length of an Ed25519 signature. */
const SIGNATURE_LENGTH = 64;

/** What a checkpoint states. */
export type CheckpointFields = {
  /** Entries in the log. */
  readonly size: number;
  /** The log's head at that size. */
  readonly logRoot: Uint8Array;
  /** The binding map's root at that size. */
  readonly mapRoot: Uint8Array;
  /** When the directory made it (ms). */
  readonly time: number;
};

/** A checkpoint with its signature. */
export type SignedCheckpoint = CheckpointFields & { readonly signature: Uint8Array };

/** The bytes a checkpoint's signature covers. */
export function checkpointBody(origin: Uint8Array, fields: CheckpointFields): Uint8Array {
  if (!Number.isSafeInteger(fields.size) || fields.size < 0) {
    throw new RangeError(`A log size is a whole number, got ${fields.size}`);
  }
  if (!Number.isSafeInteger(fields.time)) throw new RangeError("A checkpoint's time is in ms");
  if (fields.logRoot.length !== HASH_LENGTH || fields.mapRoot.length !== HASH_LENGTH) {
    throw new RangeError("Roots are 32 bytes");
  }
  const body = new Uint8Array(CHECKPOINT_BODY_LENGTH);
  const view = new DataView(body.buffer);
  let at = 0;
  body.set(CHECKPOINT_CONTEXT, at);
  at += CHECKPOINT_CONTEXT.length;
  body.set(origin, at);
  at += 32;
  view.setBigUint64(at, BigInt(fields.size));
  at += 8;
  body.set(fields.logRoot, at);
  at += 32;
  body.set(fields.mapRoot, at);
  at += 32;
  view.setBigInt64(at, BigInt(fields.time));
  return body;
}

/** Signs `fields` as the directory `identity`. */
export function signCheckpoint(
  identity: CheckpointSigner,
  fields: CheckpointFields,
): SignedCheckpoint {
  const signature = identity.sign(checkpointBody(identity.public.key, fields));
  return { ...fields, logRoot: fields.logRoot.slice(), mapRoot: fields.mapRoot.slice(), signature };
}

/**
 * `signed` if `directory` signed it, else null: malformed fields or a
 * signature by any other key are refused, never thrown.
 */
export function verifyCheckpoint(
  directory: CheckpointVerifier,
  signed: SignedCheckpoint,
): SignedCheckpoint | null {
  try {
    if (signed.signature.length !== SIGNATURE_LENGTH) return null;
    const body = checkpointBody(directory.key, signed);
    return directory.verify(signed.signature, body) ? signed : null;
  } catch {
    return null;
  }
}
