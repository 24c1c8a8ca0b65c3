/**
 * The shell of one file being received (`incoming.ts` is the machine): it
 * feeds the machine what arrives and carries out what it decides, on the
 * part file (`part_file.ts`) and the records of parts kept for resume, one
 * step at a time and in order, however many connections deliver at once.
 * A write that fails for space is `no-space`, and the part is kept.
 *
 * @module
 */
import { ensurePrivateDir } from "../../storage/mod.ts";
import type { Name, NameKey } from "../../protocol/mod.ts";
import type { EventBody } from "../core/mod.ts";
import { Bitmap } from "./chunk_plan.ts";
import { encodeFileMessage, type FileMessage, type OfferedFile } from "./file_messages.ts";
import { type IncomingAction, type IncomingEvent, IncomingTransfer } from "./incoming.ts";
import type { Outcome } from "./incoming.ts";
import { isNoSpace, PartFile } from "./part_file.ts";
import { Progress } from "./progress.ts";
import type { FileKey, PartRecord } from "./resume_records.ts";
import { safeFileName } from "./safe_name.ts";
import type { FileChat, TransferContext } from "./transfer_context.ts";

/** How often the receiver acknowledges the data it took, in bytes (the sender's window moves on). */
export const ACK_EVERY = 512 * 1024;

/** One file being received. */
export class Receiving {
  /** Which way it goes. */
  readonly direction = "in";
  /** The transfer's id (the sender's). */
  readonly id: string;
  /** Who sends it, and their name's key. */
  readonly peer: Name;
  /** `peer`, folded. */
  readonly key: NameKey;
  /** The chat it came on. */
  readonly chat: FileChat;
  /** The machine that decides. */
  readonly machine: IncomingTransfer;
  /** The name it is saved under: the offered one, made safe. */
  readonly safeName: string;
  /** How far it is. */
  readonly progress: Progress;
  /** How it ended, once it did. */
  outcome: Outcome | undefined;
  readonly #ctx: TransferContext;
  #part: PartFile | undefined;
  /** The steps so far, one after another. */
  #steps: Promise<void> = Promise.resolve();
  /** Data bytes taken in this attempt, and those not acknowledged yet. */
  #taken = 0;
  #unacked = 0;

  /** An offer that came on `chat`. */
  constructor(chat: FileChat, offer: OfferedFile, ctx: TransferContext) {
    this.id = offer.id;
    this.chat = chat;
    this.peer = chat.peer.name;
    this.key = chat.peer.key;
    this.machine = new IncomingTransfer(offer);
    this.safeName = safeFileName(offer.name);
    this.progress = new Progress(0, ctx.clock());
    this.#ctx = ctx;
  }

  /** What the offer said. */
  get offer(): OfferedFile {
    return this.machine.offer;
  }

  /** What identifies the file among the records. */
  get fileKey(): FileKey {
    return { peer: this.chat.peer.fingerprint, sha256: this.offer.sha256, size: this.offer.size };
  }

  /** The part, once there is one. */
  get part(): PartFile | undefined {
    return this.#part;
  }

  /** Resolves once every step so far is carried out (its end reported, if it ended). */
  get settled(): Promise<void> {
    return this.#steps;
  }

  /** Feeds `event` after the steps before it; resolves once it is carried out. */
  feed(event: IncomingEvent): Promise<void> {
    this.#steps = this.#steps.then(() => this.#run(this.machine.handle(event)))
      .catch((error) => this.#ctx.report(error));
    return this.#steps;
  }

  /** The user accepted: a new part in `downloads`, then the accept to the sender. */
  accept(downloads: string): Promise<void> {
    this.#steps = this.#steps.then(async () => {
      try {
        await ensurePrivateDir(downloads);
        this.#part = await PartFile.create(downloads, this.safeName);
      } catch (error) {
        return await this.#run(
          this.machine.handle({ type: isNoSpace(error) ? "disk-full" : "disk-failed" }),
        );
      }
      this.#ctx.records.put(this.#record(this.#part, new Bitmap(this.machine.count)));
      this.progress.restart(0, this.#ctx.clock());
      await this.#run(
        this.machine.handle({ type: "accepted", have: new Bitmap(this.machine.count) }),
      );
    }).catch((error) => this.#ctx.report(error));
    return this.#steps;
  }

  /** The same file from the same sender, kept in `part` with the chunks `have`: on from there. */
  resume(part: PartFile, have: Bitmap): Promise<void> {
    this.#part = part;
    this.#ctx.records.put(this.#record(part, have));
    const kept = this.feed({ type: "accepted", have });
    this.progress.restart(this.machine.resumedBytes, this.#ctx.clock());
    return kept;
  }

  #record(part: PartFile, have: Bitmap): PartRecord {
    const { sha256, size, chunk, list } = this.offer;
    return {
      peer: this.chat.peer.fingerprint,
      sha256,
      size,
      chunk,
      list,
      dir: part.dir,
      part: part.base,
      name: this.safeName,
      have: have.toBase64(),
      updated: 0,
    };
  }

  async #run(actions: IncomingAction[]): Promise<void> {
    for (const action of actions) {
      switch (action.type) {
        case "say":
          this.#say(action.message);
          break;
        case "write":
          try {
            await this.#part!.write(action.position, action.data);
          } catch (error) {
            // What follows the failed write is moot: the machine has ended.
            return await this.#run(this.#diskFailed(error));
          }
          this.progress.update(this.machine.bytes, this.#ctx.clock());
          this.#taken += action.data.length;
          this.#unacked += action.data.length;
          if (this.#unacked >= ACK_EVERY) {
            this.#unacked = 0;
            this.#say({ type: "file-ack", id: this.id, bytes: this.#taken });
          }
          break;
        case "verified":
          this.#ctx.records.update(this.fileKey, this.machine.have.toBase64());
          break;
        case "hash-chunk":
        case "hash-file": {
          let digest: Uint8Array;
          try {
            digest = action.type === "hash-chunk"
              ? await this.#part!.hash(action.position, action.length)
              : await this.#part!.hash(0, this.offer.size);
          } catch (error) {
            return await this.#run(this.#diskFailed(error));
          }
          await this.#run(this.machine.handle(
            action.type === "hash-chunk"
              ? { type: "chunk-hashed", index: action.index, digest }
              : { type: "file-hashed", digest },
          ));
          break;
        }
        case "place": {
          let path: string;
          try {
            path = await this.#part!.place(this.safeName);
          } catch (error) {
            return await this.#run(this.#diskFailed(error));
          }
          await this.#run(this.machine.handle({ type: "placed", path }));
          break;
        }
        case "finish":
          await this.#finish(action.outcome);
          break;
      }
    }
  }

  #diskFailed(error: unknown): IncomingAction[] {
    return this.machine.handle({ type: isNoSpace(error) ? "disk-full" : "disk-failed" });
  }

  #say(message: FileMessage): void {
    // A chat that is gone needs no answer: its end fails the transfer (FileShell.closed).
    this.chat.channel.send(encodeFileMessage(message)).catch(() => {});
  }

  async #finish(outcome: Outcome): Promise<void> {
    this.outcome = outcome;
    const base = { peer: this.peer, id: this.id, name: this.offer.name };
    let event: EventBody;
    if (outcome.kind === "done") {
      await this.#ctx.records.remove(this.fileKey).catch((error) => this.#ctx.report(error));
      event = {
        type: "file-received",
        ...base,
        path: outcome.path!,
        size: this.offer.size,
        sha256: this.offer.sha256,
        resumed_bytes: this.machine.resumedBytes,
      };
    } else {
      if (this.#part && outcome.resumable) {
        await this.#part.close().catch(() => {}); // A part that will not close is still there.
        await this.#ctx.records.flush().catch((error) => this.#ctx.report(error));
      } else if (this.#part) {
        await this.#part.discard();
        await this.#ctx.records.remove(this.fileKey).catch((error) => this.#ctx.report(error));
      }
      event = {
        type: "file-failed",
        ...base,
        direction: "in",
        reason: outcome.reason,
        resumable: outcome.resumable,
        by: outcome.by,
        size: this.offer.size,
        ...(outcome.detail ? { detail: outcome.detail } : {}),
        ...(outcome.max === undefined ? {} : { max: outcome.max }),
      };
    }
    this.#ctx.sink.emit(event);
    this.#ctx.ended(this.id);
  }
}
