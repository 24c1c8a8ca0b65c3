/**
 * A peer that sends files by hand (issue 23), for the tests that attack a
 * receiver: it speaks the file protocol of docs/protocol.md §14 over a
 * channel it holds, and may lie in any of it (a chunk that does not match,
 * a name that tries to leave the downloads directory).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { SecureChannel } from "../crypto/mod.ts";
import { toHex } from "../crypto/mod.ts";
import { decodePeerMessage, encodePeerMessage, type PeerMessage } from "../client/chat/mod.ts";
import { MAX_PIECE } from "../client/files/mod.ts";

/** The chunk the hand-written peer uses (the smallest the protocol allows, so files stay small). */
export const PEER_CHUNK = 64 * 1024;

/** A file as the peer offers it. */
export type HandFile = {
  name: string;
  data: Uint8Array;
  /** Chunks whose bytes are altered after hashing (the offer stays honest about the original). */
  corrupt?: number[];
};

const sha = (bytes: Uint8Array): Uint8Array =>
  new Uint8Array(createHash("sha256").update(bytes).digest());

/** One end of a chat, speaking files by hand. */
export class FilePeer {
  readonly #channel: SecureChannel;
  readonly #heard: PeerMessage[] = [];
  #wake: () => void = () => {};

  /** Listens on `channel` (its read is taken over). */
  constructor(channel: SecureChannel) {
    this.#channel = channel;
    (async () => {
      try {
        for (let bytes = await channel.receive(); bytes; bytes = await channel.receive()) {
          this.#heard.push(decodePeerMessage(bytes));
          this.#wake();
        }
      } catch {
        // The chat ended.
      }
    })();
  }

  /** Everything heard so far. */
  get heard(): readonly PeerMessage[] {
    return this.#heard;
  }

  /** The first message heard matching `match`, within `ms`. */
  async hear(match: (m: PeerMessage) => boolean, ms = 10_000): Promise<PeerMessage> {
    const until = Date.now() + ms;
    while (true) {
      const found = this.#heard.find(match);
      if (found) return found;
      if (Date.now() > until) {
        throw new Error(
          `not heard within ${ms} ms: ${JSON.stringify(this.#heard.map((m) => m.type))}`,
        );
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  /** Says one message. */
  say(message: PeerMessage): Promise<void> {
    return this.#channel.send(encodePeerMessage(message));
  }

  /** Offers `file`; returns its id. */
  async offer(file: HandFile): Promise<string> {
    const id = toHex(crypto.getRandomValues(new Uint8Array(16)));
    const { list } = this.#hashes(file.data);
    await this.say({
      type: "file-offer",
      id,
      name: file.name,
      size: file.data.length,
      sha256: toHex(sha(file.data)),
      chunk: PEER_CHUNK,
      list: toHex(sha(list)),
    });
    return id;
  }

  /** After the accept: the list, every chunk (altered where `file.corrupt` says), the end. */
  async sendBody(id: string, file: HandFile): Promise<void> {
    const { list } = this.#hashes(file.data);
    if (list.length > 0) await this.say({ type: "file-list", id, offset: 0, data: list });
    const count = Math.ceil(file.data.length / PEER_CHUNK);
    for (let index = 0; index < count; index++) {
      const chunk = file.data.slice(index * PEER_CHUNK, (index + 1) * PEER_CHUNK);
      if (file.corrupt?.includes(index)) chunk[chunk.length - 1] ^= 0xff;
      for (let offset = 0; offset < chunk.length; offset += MAX_PIECE) {
        await this.say({
          type: "file-data",
          id,
          index,
          offset,
          data: chunk.subarray(offset, offset + MAX_PIECE),
        });
      }
    }
    await this.say({ type: "file-end", id });
  }

  /** Offers `file`, waits for the accept (within `ms`), and sends it; returns the id. */
  async send(file: HandFile, ms = 10_000): Promise<string> {
    const id = await this.offer(file);
    await this.hear((m) => m.type === "file-accept" && m.id === id, ms);
    await this.sendBody(id, file);
    return id;
  }

  #hashes(data: Uint8Array): { list: Uint8Array } {
    const count = Math.ceil(data.length / PEER_CHUNK);
    const list = new Uint8Array(count * 32);
    for (let i = 0; i < count; i++) {
      list.set(sha(data.subarray(i * PEER_CHUNK, (i + 1) * PEER_CHUNK)), i * 32);
    }
    return { list };
  }
}
