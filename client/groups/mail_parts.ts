/**
 * Frames too large for one sealed message (docs/protocol.md §13.4): a
 * membership of 64 members is about 7 KiB, and the directory holds sealed
 * messages of 6 KiB at most. Such a frame goes as 2 to MAX_PARTS `group-part`
 * frames, each sealed and signed on its own, naming the SHA-256 of the whole;
 * the recipient puts the parts together (bounded in count, per sender and in
 * time) and takes the whole only if its hash matches.
 *
 * @module
 */
import { fromBase64, sha256, toBase64, toHex } from "../../crypto/mod.ts";
import { encodeFrame, type GroupFrame, MAX_PART_CHARS, MAX_PARTS } from "./group_frames.ts";

/** A frame longer than this (JSON bytes) goes in parts. */
export const PART_THRESHOLD = 3 * 1024;
/** Frame bytes per part: 3 KiB is MAX_PART_CHARS characters of base64. */
const PART_BYTES = (MAX_PART_CHARS / 4) * 3;
/** Frames being put together at once; a newer one pushes out the oldest. */
export const MAX_ASSEMBLIES = 8;
/** Frames one sender may have half-delivered at once. */
export const MAX_ASSEMBLIES_PER_SENDER = 2;
/** How long the parts of a frame wait for the rest. */
export const PART_WAIT_MS = 10 * 60 * 1000;

/** One part of a frame. */
export type Part = Extract<GroupFrame, { type: "group-part" }>;

/** `frame` as it goes by mail: whole, or in parts when it is large. */
export function mailFrames(frame: GroupFrame): GroupFrame[] {
  const bytes = encodeFrame(frame);
  if (bytes.length <= PART_THRESHOLD) return [frame];
  const count = Math.ceil(bytes.length / PART_BYTES);
  if (count > MAX_PARTS) throw new RangeError("The frame is too large to go by mail");
  const whole = toHex(sha256(bytes));
  return Array.from({ length: count }, (_, index) => ({
    type: "group-part",
    group: frame.group,
    whole,
    index,
    count,
    data: toBase64(bytes.subarray(index * PART_BYTES, (index + 1) * PART_BYTES)),
  }));
}

type Assembly = {
  readonly sender: string;
  readonly whole: string;
  readonly count: number;
  readonly parts: (Uint8Array | undefined)[];
  readonly since: number;
};

/** What a part gave: nothing yet, the whole frame's bytes, or why the parts were thrown away. */
export type Assembled =
  | { readonly kind: "waiting" }
  | { readonly kind: "whole"; readonly bytes: Uint8Array }
  | { readonly kind: "bad"; readonly rule: string };

/** Parts waiting for the rest of their frame, by sender (a fingerprint) and whole. */
export class PartsAssembler {
  readonly #assemblies: Assembly[] = [];

  /** How many frames are being put together. */
  get size(): number {
    return this.#assemblies.length;
  }

  /** Takes `part` from `sender` at `now`. */
  take(sender: string, part: Part, now: number): Assembled {
    this.#expire(now);
    let assembly = this.#assemblies.find((a) => a.sender === sender && a.whole === part.whole);
    if (assembly && assembly.count !== part.count) {
      this.#drop(assembly);
      return { kind: "bad", rule: "parts of one frame disagree on their count" };
    }
    if (!assembly) {
      const mine = this.#assemblies.filter((a) => a.sender === sender);
      if (mine.length >= MAX_ASSEMBLIES_PER_SENDER) this.#drop(mine[0]);
      if (this.#assemblies.length >= MAX_ASSEMBLIES) this.#drop(this.#assemblies[0]);
      assembly = { sender, whole: part.whole, count: part.count, parts: [], since: now };
      this.#assemblies.push(assembly);
    }
    const data = fromBase64(part.data);
    if (part.index < part.count - 1 ? data.length !== PART_BYTES : data.length > PART_BYTES) {
      this.#drop(assembly);
      return { kind: "bad", rule: "a part of the wrong size" };
    }
    assembly.parts[part.index] = data;
    if (assembly.parts.filter(Boolean).length < assembly.count) return { kind: "waiting" };
    this.#drop(assembly);
    const size = assembly.parts.reduce((n, p) => n + p!.length, 0);
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const p of assembly.parts) {
      bytes.set(p!, at);
      at += p!.length;
    }
    if (toHex(sha256(bytes)) !== part.whole) {
      return { kind: "bad", rule: "the parts do not make the frame they name" };
    }
    return { kind: "whole", bytes };
  }

  #expire(now: number): void {
    for (const a of [...this.#assemblies]) if (now - a.since > PART_WAIT_MS) this.#drop(a);
  }

  #drop(assembly: Assembly): void {
    this.#assemblies.splice(this.#assemblies.indexOf(assembly), 1);
  }
}
