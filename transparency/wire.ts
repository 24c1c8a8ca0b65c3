/**
 * How checkpoints and proofs travel inside the directory protocol's JSON
 * (docs/protocol.md §15.4): each as base64 of fixed, documented bytes, so
 * that what a client keeps, hands to a peer or saves as evidence is exactly
 * what the directory signed. Decoders return null for anything that is not
 * exactly one well-formed value: the caller refuses it.
 *
 *     checkpoint     size (8) || log root (32) || map root (32) || time (8)
 *                    || signature (64)                                   144 bytes
 *     hash list      hash (32) * n                        (n <= MAX_PROOF_HASHES)
 *     binding proof  terminal (1: 0x00 empty, 0x01 leaf, 0x02 other)
 *                    || value (37, leaf) | path (32) || value hash (32) (other)
 *                    || depth (2, big-endian; at most 256) || sibling (32) * depth
 *
 * @example
 * ```ts
 * import { decodeCheckpoint, encodeCheckpoint } from "./wire.ts";
 *
 * const checkpoint = {
 *   size: 3, logRoot: new Uint8Array(32), mapRoot: new Uint8Array(32), time: 0,
 *   signature: new Uint8Array(64),
 * };
 * console.log(decodeCheckpoint(encodeCheckpoint(checkpoint))?.size); // 3
 * ```
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { fromBase64 } from "../crypto/mod.ts";
import { type MapProof, PATH_BITS } from "./binding_map.ts";
import type { SignedCheckpoint } from "./checkpoint.ts";
import { decodeValue, encodeValue, type MapValue, VALUE_LENGTH } from "./log_entry.ts";
import { type Hash, HASH_LENGTH } from "./merkle_log.ts";

/**
 * Base64 of `bytes`, by node:buffer (native: some twenty times the speed of
 * a loop, and a directory encodes a proof for every key it shows).
 */
export function toWireBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Bytes of a checkpoint on the wire. */
export const CHECKPOINT_WIRE_LENGTH: number = 8 + 32 + 32 + 8 + 64;
/** Base64 characters of a checkpoint on the wire. */
export const CHECKPOINT_BASE64_LENGTH: number = Math.ceil(CHECKPOINT_WIRE_LENGTH / 3) * 4;
/** Most hashes one inclusion or consistency proof may carry (two per level of a 2^64 tree). */
export const MAX_PROOF_HASHES = 128;
/** Longest binding proof: the other leaf and a sibling for every bit of the path. */
export const MAX_BINDING_PROOF_LENGTH: number = 1 + 2 * HASH_LENGTH + 2 + PATH_BITS * HASH_LENGTH;

/** A checkpoint as base64. */
export function encodeCheckpoint(checkpoint: SignedCheckpoint): string {
  const bytes = new Uint8Array(CHECKPOINT_WIRE_LENGTH);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(checkpoint.size));
  bytes.set(checkpoint.logRoot, 8);
  bytes.set(checkpoint.mapRoot, 40);
  view.setBigInt64(72, BigInt(checkpoint.time));
  bytes.set(checkpoint.signature, 80);
  return toWireBase64(bytes);
}

function bytesOf(text: unknown, max: number): Uint8Array | null {
  if (typeof text !== "string" || text.length > Math.ceil(max / 3) * 4) return null;
  try {
    return fromBase64(text);
  } catch {
    return null;
  }
}

/** The checkpoint `text` holds (its signature unchecked: verifyCheckpoint), or null. */
export function decodeCheckpoint(text: unknown): SignedCheckpoint | null {
  const bytes = bytesOf(text, CHECKPOINT_WIRE_LENGTH);
  if (bytes === null || bytes.length !== CHECKPOINT_WIRE_LENGTH) return null;
  const view = new DataView(bytes.buffer);
  const size = view.getBigUint64(0);
  const time = view.getBigInt64(72);
  const safe = BigInt(Number.MAX_SAFE_INTEGER);
  if (size > safe || time > safe || time < -safe) return null;
  return {
    size: Number(size),
    logRoot: bytes.slice(8, 40),
    mapRoot: bytes.slice(40, 72),
    time: Number(time),
    signature: bytes.slice(80, 144),
  };
}

/** A list of hashes as base64 of their concatenation. */
export function encodeHashes(hashes: readonly Hash[]): string {
  const bytes = new Uint8Array(hashes.length * HASH_LENGTH);
  hashes.forEach((hash, i) => bytes.set(hash, i * HASH_LENGTH));
  return toWireBase64(bytes);
}

/** The hashes `text` holds (at most MAX_PROOF_HASHES), or null. */
export function decodeHashes(text: unknown): Hash[] | null {
  const bytes = bytesOf(text, MAX_PROOF_HASHES * HASH_LENGTH);
  if (bytes === null || bytes.length % HASH_LENGTH !== 0) return null;
  const hashes: Hash[] = [];
  for (let at = 0; at < bytes.length; at += HASH_LENGTH) {
    hashes.push(bytes.slice(at, at + HASH_LENGTH));
  }
  return hashes;
}

/** What a binding proof says: the name's value (null: none) and the map proof of it. */
export type BindingProof = { readonly value: MapValue | null; readonly proof: MapProof };

const TERMINALS = { empty: 0x00, leaf: 0x01, other: 0x02 } as const;

/** A binding proof as base64. RangeError when the value does not go with the terminal. */
export function encodeBindingProof(binding: BindingProof): string {
  const { value, proof } = binding;
  const kind = proof.terminal.kind;
  if ((kind === "leaf") !== (value !== null)) {
    throw new RangeError("A leaf terminal carries the value, and only it does");
  }
  const head = kind === "leaf"
    ? encodeValue(value!)
    : proof.terminal.kind === "other"
    ? concat(proof.terminal.path, proof.terminal.valueHash)
    : new Uint8Array(0);
  const bytes = new Uint8Array(1 + head.length + 2 + proof.siblings.length * HASH_LENGTH);
  bytes[0] = TERMINALS[kind];
  bytes.set(head, 1);
  new DataView(bytes.buffer).setUint16(1 + head.length, proof.siblings.length);
  proof.siblings.forEach((s, i) => bytes.set(s, 3 + head.length + i * HASH_LENGTH));
  return toWireBase64(bytes);
}

/** The binding proof `text` holds, or null when it is not exactly one. */
export function decodeBindingProof(text: unknown): BindingProof | null {
  const bytes = bytesOf(text, MAX_BINDING_PROOF_LENGTH);
  if (bytes === null || bytes.length < 3) return null;
  const kind = bytes[0];
  const headLength = kind === TERMINALS.leaf
    ? VALUE_LENGTH
    : kind === TERMINALS.other
    ? 2 * HASH_LENGTH
    : kind === TERMINALS.empty
    ? 0
    : -1;
  if (headLength < 0 || bytes.length < 3 + headLength) return null;
  const head = bytes.subarray(1, 1 + headLength);
  const depth = new DataView(bytes.buffer).getUint16(1 + headLength);
  if (depth > PATH_BITS || bytes.length !== 3 + headLength + depth * HASH_LENGTH) return null;
  const siblings: Hash[] = [];
  for (let i = 0; i < depth; i++) {
    const at = 3 + headLength + i * HASH_LENGTH;
    siblings.push(bytes.slice(at, at + HASH_LENGTH));
  }
  if (kind === TERMINALS.leaf) {
    const value = decodeValue(head.slice());
    return value === null ? null : { value, proof: { siblings, terminal: { kind: "leaf" } } };
  }
  if (kind === TERMINALS.other) {
    return {
      value: null,
      proof: {
        siblings,
        terminal: { kind: "other", path: head.slice(0, 32), valueHash: head.slice(32) },
      },
    };
  }
  return { value: null, proof: { siblings, terminal: { kind: "empty" } } };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
