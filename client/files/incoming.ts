/**
 * One file being received, as a machine without I/O (docs/protocol.md
 * §14.3): what arrives (the hash list, chunk data, the sender's end or
 * cancel; the disk's answers) comes in as events, and what to do goes out
 * as actions: say this to the sender, write these bytes at that position,
 * give the hash of this chunk or of the whole part (the part desk takes it
 * as the bytes are written, in order, or from disk), put the part in
 * place, and finally how it ended. Every chunk is checked against the list as it
 * completes, the list against the offer, and the whole file against the
 * offer's SHA-256 before the part takes its final name.
 *
 * @example
 * ```ts
 * import { IncomingTransfer } from "./incoming.ts";
 * import { Bitmap } from "./chunk_plan.ts";
 * import { sha256, toHex } from "../../crypto/mod.ts";
 *
 * const empty = toHex(sha256(new Uint8Array(0)));
 * const file = new IncomingTransfer({
 *   id: "00".repeat(16), name: "empty.txt", size: 0, sha256: empty, chunk: 1 << 20, list: empty,
 * });
 * file.handle({ type: "accepted", have: new Bitmap(0) }); // says file-accept
 * console.log(file.handle({ type: "end" })); // [{ type: "hash-file" }]
 * ```
 *
 * @module
 */
import { equalBytes, fromHex, sha256 } from "../../crypto/mod.ts";
import { Bitmap, chunkCount, chunkLength } from "./chunk_plan.ts";
import { ChunkAssembly } from "./chunk_assembly.ts";
import { type FileCancelReason, type FileMessage, HASH_BYTES } from "./file_messages.ts";
import type { OfferedFile } from "./file_messages.ts";
import type { FileFailReason, FileStoppedBy } from "../core/mod.ts";

/** Chunks one transfer may have partly in at once (a move between paths makes two). */
export const MAX_OPEN_CHUNKS = 8;
/** Times a receiver asks for what never came before it gives up. */
export const MAX_WANT_ROUNDS = 4;

/** How a transfer ended. */
export type Outcome =
  | { readonly kind: "done"; readonly path?: string }
  | {
    readonly kind: "failed";
    readonly reason: FileFailReason;
    /** Who stopped it: you, the peer, or neither (the network, the disk, a check). */
    readonly by: FileStoppedBy;
    /** Whether a later /send of the same file picks up what was kept. */
    readonly resumable: boolean;
    /** What went wrong, for a check that failed (which chunk, say). */
    readonly detail?: string;
    /** For `too-large`: the receiver's limit. For `relay-budget`: the bytes the relay still carries. */
    readonly max?: number;
    readonly left?: number;
  };

/** What comes in. */
export type IncomingEvent =
  /** The part is open: new, or kept from before with the chunks in `have`. */
  | { readonly type: "accepted"; readonly have: Bitmap }
  | { readonly type: "list"; readonly offset: number; readonly data: Uint8Array }
  | {
    readonly type: "data";
    readonly index: number;
    readonly offset: number;
    readonly data: Uint8Array;
  }
  /** The shell took chunk `index`'s hash (as its pieces were written, or from disk). */
  | { readonly type: "chunk-hashed"; readonly index: number; readonly digest: Uint8Array }
  /** The sender sent everything asked for. */
  | { readonly type: "end" }
  /** The shell took the whole part's hash (as it was written in order, or in one pass). */
  | { readonly type: "file-hashed"; readonly digest: Uint8Array }
  | { readonly type: "placed"; readonly path: string }
  | { readonly type: "disk-full" }
  | { readonly type: "disk-failed" }
  /** The user declined the offer. */
  | { readonly type: "decline" }
  /** The offer is refused unasked: larger than `max` (--max-file-size), or too many at once. */
  | { readonly type: "refuse"; readonly reason: "too-large" | "busy"; readonly max?: number }
  | { readonly type: "cancel" }
  | { readonly type: "peer-cancel"; readonly reason: FileCancelReason }
  | { readonly type: "lost" };

/** What to do. */
export type IncomingAction =
  | { readonly type: "say"; readonly message: FileMessage }
  /** Writes `data` at `position`: a piece of chunk `index`, which starts at `start`. */
  | {
    readonly type: "write";
    readonly position: number;
    readonly data: Uint8Array;
    readonly index: number;
    readonly start: number;
  }
  | {
    readonly type: "hash-chunk";
    readonly index: number;
    readonly position: number;
    readonly length: number;
  }
  /** Chunk `index` is checked: the record of the part may say so. */
  | { readonly type: "verified"; readonly index: number }
  | { readonly type: "hash-file" }
  | { readonly type: "place" }
  | { readonly type: "finish"; readonly outcome: Outcome };

type State = "offered" | "receiving" | "checking" | "placing" | "over";

/** One file being received. */
export class IncomingTransfer {
  /** What the offer said. */
  readonly offer: OfferedFile;
  /** How many chunks. */
  readonly count: number;
  #state: State = "offered";
  #have: Bitmap;
  /** Bytes kept from before (resume). */
  #resumed = 0;
  /** Bytes in: checked chunks and pieces of open ones. */
  #bytes = 0;
  readonly #list: Uint8Array;
  readonly #listIn: Bitmap;
  #listOk = false;
  readonly #open = new Map<number, ChunkAssembly>();
  /** Digests of complete chunks whose hash has not arrived in the list yet. */
  readonly #early = new Map<number, Uint8Array>();
  /** Complete chunks whose hash the shell is taking. */
  readonly #hashing = new Set<number>();
  #endWaiting = false;
  #wants = 0;

  /** A transfer of the file `offer` describes (its fields checked by the decoder). */
  constructor(offer: OfferedFile) {
    this.offer = offer;
    this.count = chunkCount(offer.size, offer.chunk);
    this.#have = new Bitmap(this.count);
    this.#list = new Uint8Array(this.count * HASH_BYTES);
    this.#listIn = new Bitmap(this.count);
  }

  /** Whether it waits for the user's answer. */
  get offered(): boolean {
    return this.#state === "offered";
  }

  /** Whether it ended. */
  get over(): boolean {
    return this.#state === "over";
  }

  /** Bytes in so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Bytes kept from an earlier attempt. */
  get resumedBytes(): number {
    return this.#resumed;
  }

  /** The chunks checked so far. */
  get have(): Bitmap {
    return this.#have;
  }

  /** Takes one event; returns what to do, in order. */
  handle(event: IncomingEvent): IncomingAction[] {
    if (this.#state === "over") return [];
    switch (event.type) {
      case "accepted":
        return this.#accepted(event.have);
      case "list":
        return this.#state === "receiving" ? this.#listPiece(event.offset, event.data) : [];
      case "data":
        return this.#state === "receiving" ? this.#data(event.index, event.offset, event.data) : [];
      case "chunk-hashed":
        this.#hashing.delete(event.index);
        return [...this.#verify(event.index, event.digest), ...this.#maybeEnd()];
      case "end":
        if (this.#state !== "receiving") return [];
        this.#endWaiting = true;
        return this.#maybeEnd();
      case "file-hashed":
        return this.#state === "checking" ? this.#checked(event.digest) : [];
      case "placed":
        this.#state = "over";
        return [
          { type: "say", message: { type: "file-done", id: this.offer.id } },
          { type: "finish", outcome: { kind: "done", path: event.path } },
        ];
      case "disk-full":
        return this.#fail("no-space", { by: "none", resumable: true, tell: true });
      case "disk-failed":
        return this.#fail("unwritable", { by: "none", resumable: true, tell: true });
      case "decline":
        if (this.#state !== "offered") return [];
        return this.#fail("declined", { by: "you", resumable: false, tell: true });
      case "refuse": {
        if (this.#state !== "offered") return [];
        const { reason, max } = event;
        this.#state = "over";
        return [
          {
            type: "say",
            message: max === undefined
              ? { type: "file-decline", id: this.offer.id, reason }
              : { type: "file-decline", id: this.offer.id, reason, max },
          },
          {
            type: "finish",
            outcome: {
              kind: "failed",
              reason,
              by: "you",
              resumable: false,
              ...(max === undefined ? {} : { max }),
            },
          },
        ];
      }
      case "cancel":
        return this.#fail("cancelled", { by: "you", resumable: false, tell: true });
      case "peer-cancel": {
        // A file that changed, or bytes the sender could not read, will not be the same again.
        const resumable = event.reason === "cancelled" || event.reason === "no-space";
        return this.#fail(event.reason, { by: "peer", resumable, tell: false });
      }
      case "lost":
        return this.#fail("connection-lost", { by: "none", resumable: true, tell: false });
    }
  }

  #accepted(have: Bitmap): IncomingAction[] {
    if (this.#state !== "offered") return [];
    this.#state = "receiving";
    this.#have = have;
    for (let i = 0; i < this.count; i++) {
      if (have.has(i)) this.#resumed += chunkLength(this.offer.size, this.offer.chunk, i);
    }
    this.#bytes = this.#resumed;
    const actions: IncomingAction[] = [{
      type: "say",
      message: { type: "file-accept", id: this.offer.id, have: have.toBase64() },
    }];
    if (this.count === 0) actions.push(...this.#listComplete());
    return actions;
  }

  #listPiece(offset: number, data: Uint8Array): IncomingAction[] {
    if (this.#listOk) return [];
    if (offset + data.length > this.#list.length) {
      return this.#corrupt("the hash list runs past its end");
    }
    this.#list.set(data, offset);
    for (let at = offset; at < offset + data.length; at += HASH_BYTES) {
      this.#listIn.set(at / HASH_BYTES);
    }
    return this.#listIn.full ? this.#listComplete() : [];
  }

  #listComplete(): IncomingAction[] {
    if (!equalBytes(sha256(this.#list), fromHex(this.offer.list))) {
      return this.#corrupt("the chunk hash list does not match the offer");
    }
    this.#listOk = true;
    const actions: IncomingAction[] = [];
    for (const [index, digest] of [...this.#early]) {
      this.#early.delete(index);
      actions.push(...this.#verify(index, digest));
      if (this.over) return actions;
    }
    return [...actions, ...this.#maybeEnd()];
  }

  #data(index: number, offset: number, data: Uint8Array): IncomingAction[] {
    const { size, chunk } = this.offer;
    if (index >= this.count) return this.#corrupt(`data for chunk ${index}, past the file's end`);
    if (this.#have.has(index) || this.#hashing.has(index) || this.#early.has(index)) return [];
    let assembly = this.#open.get(index);
    if (!assembly) {
      if (this.#open.size >= MAX_OPEN_CHUNKS) {
        return this.#corrupt(`more than ${MAX_OPEN_CHUNKS} chunks under way at once`);
      }
      assembly = new ChunkAssembly(chunkLength(size, chunk, index));
      this.#open.set(index, assembly);
    }
    if (!assembly.fits(offset, data.length)) {
      return this.#corrupt(`a piece of chunk ${index} off its grid`);
    }
    if (!assembly.add(offset, data)) return [];
    const position = index * chunk + offset;
    this.#bytes += data.length;
    const actions: IncomingAction[] = [{
      type: "write",
      position,
      data,
      index,
      start: index * chunk,
    }];
    if (!assembly.complete) return actions;
    this.#open.delete(index);
    this.#hashing.add(index);
    return [...actions, {
      type: "hash-chunk",
      index,
      position: index * chunk,
      length: assembly.length,
    }];
  }

  /** Checks complete chunk `index` against the list (or keeps its digest until the list is in). */
  #verify(index: number, digest: Uint8Array): IncomingAction[] {
    if (!this.#listOk) {
      this.#early.set(index, digest);
      return [];
    }
    const expected = this.#list.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
    if (!equalBytes(digest, expected)) {
      return this.#corrupt(`chunk ${index} does not match its hash`);
    }
    this.#have.set(index);
    return [{ type: "verified", index }];
  }

  /** After the sender's end: ask for what is missing, or check the whole file. */
  #maybeEnd(): IncomingAction[] {
    if (!this.#endWaiting || this.#state !== "receiving" || this.#hashing.size > 0) return [];
    this.#endWaiting = false;
    if (!this.#listOk || !this.#have.full) {
      if (++this.#wants > MAX_WANT_ROUNDS) {
        return this.#corrupt(`chunks still missing after asking ${MAX_WANT_ROUNDS} times`);
      }
      // Pieces of a chunk cut short are asked for again whole: the chunk starts over.
      for (const [index, assembly] of [...this.#open]) {
        this.#bytes -= assembly.covered;
        this.#open.delete(index);
      }
      const message: FileMessage = this.#listOk
        ? { type: "file-want", id: this.offer.id, have: this.#have.toBase64() }
        : { type: "file-want", id: this.offer.id, have: this.#have.toBase64(), list: true };
      return [{ type: "say", message }];
    }
    this.#state = "checking";
    return [{ type: "hash-file" }];
  }

  #checked(digest: Uint8Array): IncomingAction[] {
    if (!equalBytes(digest, fromHex(this.offer.sha256))) {
      return this.#corrupt("the file's SHA-256 does not match the offer");
    }
    this.#state = "placing";
    return [{ type: "place" }];
  }

  #corrupt(detail: string): IncomingAction[] {
    return this.#fail("corrupt", { by: "none", resumable: false, tell: true, detail });
  }

  #fail(
    reason: FileFailReason,
    how: { by: FileStoppedBy; resumable: boolean; tell: boolean; detail?: string },
  ): IncomingAction[] {
    // Nothing is kept of an offer never accepted: there is nothing to resume.
    const accepted = this.#state !== "offered";
    this.#state = "over";
    const actions: IncomingAction[] = [];
    if (how.tell) {
      const message: FileMessage = reason === "declined"
        ? { type: "file-decline", id: this.offer.id, reason }
        : { type: "file-cancel", id: this.offer.id, reason: reason as FileCancelReason };
      actions.push({ type: "say", message });
    }
    actions.push({
      type: "finish",
      outcome: {
        kind: "failed",
        reason,
        by: how.by,
        resumable: how.resumable && accepted,
        ...(how.detail ? { detail: how.detail } : {}),
      },
    });
    return actions;
  }
}
