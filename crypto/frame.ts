/**
 * Length-prefixed frames, decoded incrementally however the bytes are chunked.
 *
 * Wire layout: `type (1 byte) || length (4 bytes, big-endian) || body (length bytes)`.
 * A length above the caller's bound is refused as soon as the header arrives,
 * before anything is allocated for the body.
 *
 * @module
 */
import { RecordError } from "./errors.ts";
import type { ByteSource } from "./transport.ts";

/** Length of a frame header. */
export const HEADER_LENGTH = 5;

/** Frame types on the wire (docs/protocol.md §2). */
export const FrameType = {
  Commit: 0x01,
  Response: 0x02,
  Reveal: 0x03,
  ResponderAuth: 0x04,
  InitiatorAuth: 0x05,
  /** The responder is over capacity: retry after the milliseconds in the body (§3). */
  Busy: 0x06,
  Close: 0x15,
  Data: 0x17,
  Batch: 0x18,
} as const;
/** One of the frame type bytes above. */
export type FrameType = typeof FrameType[keyof typeof FrameType];

/** One decoded frame. `bytes` is the whole frame as it was on the wire. */
export type Frame = {
  readonly type: number;
  readonly header: Uint8Array;
  readonly body: Uint8Array;
  readonly bytes: Uint8Array;
};

/** Encodes one frame. */
export function encodeFrame(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH + body.length);
  writeHeader(out, type, body.length);
  out.set(body, HEADER_LENGTH);
  return out;
}

/** Writes a frame header for a body of `length` bytes into the first 5 bytes of `out`. */
export function writeHeader(out: Uint8Array, type: number, length: number): void {
  out[0] = type;
  new DataView(out.buffer, out.byteOffset, HEADER_LENGTH).setUint32(1, length);
}

/**
 * Splits a byte stream into frames, buffering at most one frame plus one
 * chunk. Chunks are kept as they came and joined once per frame, so a large
 * frame arriving in many pieces is copied once, not once per piece.
 */
export class FrameDecoder {
  #chunks: Uint8Array[] = [];
  #buffered = 0;

  /** Bytes received but not yet returned as frames. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Appends a chunk as it came off the wire. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The next whole frame, or undefined if more bytes are needed; throws on an oversize length. */
  next(maxBody: number): Frame | undefined {
    if (this.#buffered < HEADER_LENGTH) return undefined;
    const header = this.#peek(HEADER_LENGTH);
    const length = new DataView(header.buffer, header.byteOffset, HEADER_LENGTH).getUint32(1);
    if (length > maxBody) {
      throw new RecordError(
        "oversized",
        `Peer announced a ${length}-byte frame; at most ${maxBody} bytes are allowed here`,
      );
    }
    const total = HEADER_LENGTH + length;
    if (this.#buffered < total) return undefined;
    const bytes = this.#take(total);
    return {
      type: bytes[0],
      header: bytes.subarray(0, HEADER_LENGTH),
      body: bytes.subarray(HEADER_LENGTH),
      bytes,
    };
  }

  /** Removes and returns every buffered byte (what arrived after the last frame). */
  takeAll(): Uint8Array {
    return this.#buffered === 0 ? new Uint8Array(0) : this.#take(this.#buffered);
  }

  /** The first `n` buffered bytes, joining chunks only if the first is shorter. */
  #peek(n: number): Uint8Array {
    if (this.#chunks[0].length >= n) return this.#chunks[0];
    this.#chunks = [this.#join(this.#buffered)];
    return this.#chunks[0];
  }

  /** Removes and returns the first `n` bytes (a view when one chunk holds them). */
  #take(n: number): Uint8Array {
    const first = this.#chunks[0];
    this.#buffered -= n;
    if (first.length >= n) {
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let offset = 0;
    while (offset < n) {
      const chunk = this.#chunks[0];
      const used = Math.min(chunk.length, n - offset);
      out.set(chunk.subarray(0, used), offset);
      offset += used;
      if (used === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(used);
    }
    return out;
  }

  #join(size: number): Uint8Array {
    const out = new Uint8Array(size);
    let offset = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

/** Reads whole frames from a source, pulling chunks only when a frame is incomplete. */
export class FrameReader {
  readonly #source: ByteSource;
  readonly #decoder = new FrameDecoder();

  /** Reads frames from `source`, after `received` (bytes read from it already) if given. */
  constructor(source: ByteSource, received?: Uint8Array) {
    this.#source = source;
    if (received) this.#decoder.push(received);
  }

  /**
   * The next frame of at most `maxBody` bytes; null on an end of stream
   * between frames. Rejects with `signal.reason` once `signal` aborts.
   */
  async read(maxBody: number, signal?: AbortSignal): Promise<Frame | null> {
    while (true) {
      const frame = this.poll(maxBody);
      if (frame) return frame;
      if (!await this.fill(signal)) return null;
    }
  }

  /**
   * The next frame of at most `maxBody` bytes if it has arrived whole, else
   * undefined (fill() brings more). Throws on an oversize length.
   */
  poll(maxBody: number): Frame | undefined {
    return this.#decoder.next(maxBody);
  }

  /**
   * Reads one more chunk: true when it came, false at an end of stream
   * between frames; rejects with RecordError `truncated` at an end inside a
   * frame, and with `signal.reason` once `signal` aborts.
   */
  fill(signal?: AbortSignal): Promise<boolean> {
    return this.#source.read(signal).then((chunk) => {
      if (chunk !== null) {
        this.#decoder.push(chunk);
        return true;
      }
      if (this.#decoder.buffered === 0) return false;
      throw new RecordError(
        "truncated",
        `Connection closed in the middle of a frame (${this.#decoder.buffered} bytes of it arrived)`,
      );
    });
  }
}
