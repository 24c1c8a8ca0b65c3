/**
 * The shell of one file being received (`incoming.ts` is the machine): it
 * feeds the machine what arrives and carries out what it decides, through
 * the part desk (`desk_client.ts`: the part's writes and hashes, in a
 * worker) and the records of parts kept for resume, one step at a time and
 * in order, however many connections deliver at once. Writes and hashes do
 * not hold up the chat's read: a hash comes back as an event of its own,
 * and the read waits only while WRITE_AHEAD bytes are unwritten. A write
 * that fails for space is `no-space`, and the part is kept.
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
import type { DeskReply } from "./part_desk.ts";
import { Progress } from "./progress.ts";
import type { FileKey, PartRecord } from "./resume_records.ts";
import { safeFileName } from "./safe_name.ts";
import type { FileChat, TransferContext } from "./transfer_context.ts";

/** How often the receiver acknowledges the data it took, in bytes (the sender's window moves on). */
export const ACK_EVERY = 1024 * 1024;

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
  /** This transfer's number at the part desk. */
  readonly #t: number;
  /** The part, once it is open: its directory and name. */
  #part: { dir: string; base: string } | undefined;
  /** The steps so far, one after another. */
  #steps: Promise<void> = Promise.resolve();
  /** Data bytes taken in this attempt, and those not acknowledged yet. */
  #taken = 0;
  #unacked = 0;

  /** An offer that came on `chat`; `t` numbers it at the part desk. */
  constructor(chat: FileChat, offer: OfferedFile, ctx: TransferContext & { t: number }) {
    this.id = offer.id;
    this.chat = chat;
    this.peer = chat.peer.name;
    this.key = chat.peer.key;
    this.machine = new IncomingTransfer(offer);
    this.safeName = safeFileName(offer.name);
    this.progress = new Progress(0, ctx.clock());
    this.#ctx = ctx;
    this.#t = ctx.t;
  }

  /** What the offer said. */
  get offer(): OfferedFile {
    return this.machine.offer;
  }

  /** What identifies the file among the records. */
  get fileKey(): FileKey {
    return { peer: this.chat.peer.fingerprint, sha256: this.offer.sha256, size: this.offer.size };
  }

  /** Whether a part is open (its data is synced before a record is written). */
  get hasPart(): boolean {
    return this.#part !== undefined && !this.outcome;
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

  /** Puts what was written on disk (before a record claims it). */
  async sync(): Promise<void> {
    if (this.hasPart) await this.#ctx.desk.ask({ op: "sync", t: this.#t });
  }

  /** The user accepted: a new part in `downloads`, then the accept to the sender. */
  accept(downloads: string): Promise<void> {
    this.#steps = this.#steps.then(async () => {
      let reply: DeskReply;
      try {
        await ensurePrivateDir(downloads);
        reply = await this.#ctx.desk.ask({
          op: "create",
          t: this.#t,
          dir: downloads,
          name: this.safeName,
        });
      } catch (error) {
        reply = { op: "failed", t: this.#t, q: 0, kind: "failed", message: String(error) };
      }
      if (reply.op !== "opened") return await this.#run(this.#diskFailed(reply));
      this.#part = { dir: reply.dir, base: reply.base };
      const none = new Bitmap(this.machine.count);
      this.#ctx.records.put(this.#record(this.#part, none));
      this.progress.restart(0, this.#ctx.clock());
      await this.#run(this.machine.handle({ type: "accepted", have: none }));
    }).catch((error) => this.#ctx.report(error));
    return this.#steps;
  }

  /**
   * Opens again the part `base` of `dir`, kept from an earlier attempt at
   * the same file; false (nothing done) when it is gone or no longer a
   * plain file.
   */
  async reopen(dir: string, base: string): Promise<boolean> {
    const reply = await this.#ctx.desk.ask({
      op: "reopen",
      t: this.#t,
      dir,
      base,
      size: this.offer.size,
    });
    if (reply.op !== "opened") return false;
    this.#part = { dir, base };
    return true;
  }

  /** Resumes from the reopened part, which holds the chunks `have`, without asking. */
  async resume(have: Bitmap): Promise<void> {
    this.#ctx.records.put(this.#record(this.#part!, have));
    const kept = this.feed({ type: "accepted", have });
    this.progress.restart(this.machine.resumedBytes, this.#ctx.clock());
    await kept;
  }

  #record(part: { dir: string; base: string }, have: Bitmap): PartRecord {
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
    const desk = this.#ctx.desk;
    const t = this.#t;
    for (const action of actions) {
      switch (action.type) {
        case "say":
          this.#say(action.message);
          break;
        case "write": {
          const { position, index, start, data } = action;
          // Counted before it is handed over: the worker takes the buffer with it.
          const size = data.length;
          const { queued, written } = desk.write({ t, position, index, start, data });
          written.then((reply) => {
            if (reply.op === "failed") this.feed(this.#diskEvent(reply));
          });
          // The read waits only while the desk has WRITE_AHEAD bytes to write.
          await queued;
          this.progress.update(this.machine.bytes, this.#ctx.clock());
          this.#took(size);
          break;
        }
        case "verified":
          this.#ctx.records.update(this.fileKey, this.machine.have.toBase64());
          break;
        case "hash-chunk":
          // The hash comes back as an event of its own: the read goes on meanwhile.
          void desk.ask({
            op: "chunk",
            t,
            index: action.index,
            position: action.position,
            length: action.length,
          })
            .then((reply) =>
              this.feed(
                reply.op === "chunk"
                  ? { type: "chunk-hashed", index: action.index, digest: reply.digest }
                  : this.#diskEvent(reply),
              )
            );
          break;
        case "hash-file":
          void desk.ask({ op: "file", t, size: this.offer.size }).then((reply) =>
            this.feed(
              reply.op === "file"
                ? { type: "file-hashed", digest: reply.digest }
                : this.#diskEvent(reply),
            )
          );
          break;
        case "place":
          void desk.ask({ op: "place", t, name: this.safeName }).then((reply) =>
            this.feed(
              reply.op === "placed" ? { type: "placed", path: reply.path } : this.#diskEvent(reply),
            )
          );
          break;
        case "finish":
          await this.#finish(action.outcome);
          break;
      }
    }
  }

  /** Counts `bytes` taken; acknowledges every ACK_EVERY (the sender's window moves on). */
  #took(bytes: number): void {
    this.#taken += bytes;
    this.#unacked += bytes;
    if (this.#unacked < ACK_EVERY) return;
    this.#unacked = 0;
    this.#say({ type: "file-ack", id: this.id, bytes: this.#taken });
  }

  #diskEvent(reply: DeskReply): IncomingEvent {
    return {
      type: reply.op === "failed" && reply.kind === "no-space" ? "disk-full" : "disk-failed",
    };
  }

  #diskFailed(reply: DeskReply): IncomingAction[] {
    return this.machine.handle(this.#diskEvent(reply));
  }

  #say(message: FileMessage): void {
    // A chat that is gone needs no answer: its end fails the transfer (FileShell.closed).
    this.chat.channel.send(encodeFileMessage(message)).catch(() => {});
  }

  async #finish(outcome: Outcome): Promise<void> {
    this.outcome = outcome;
    const base = { peer: this.peer, id: this.id, name: this.offer.name };
    const part = this.#part;
    this.#part = undefined;
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
      if (part) {
        // A part that is kept is closed (synced) before its record is written; one given up goes.
        await this.#ctx.desk.ask({ op: "close", t: this.#t, discard: !outcome.resumable });
        const records = this.#ctx.records;
        await (outcome.resumable ? records.flush() : records.remove(this.fileKey))
          .catch((error) => this.#ctx.report(error));
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
