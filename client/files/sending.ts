/**
 * The shell of one file being sent (`outgoing.ts` is the machine): it
 * hashes the file, offers it on the chat, and pumps what the receiver asks
 * for (the hash list, then the chunks it lacks) through the chat's channel
 * as it is now, waiting while FILE_LOW_WATER bytes are queued there so that
 * chat messages go first.
 *
 * @module
 */
import type { Name, NameKey } from "../../protocol/mod.ts";
import type { EventBody } from "../core/mod.ts";
import { encodeFileMessage, type FileMessage } from "./file_messages.ts";
import {
  failure,
  FileChanged,
  type FileHasher,
  FileUnreadable,
  type HashedFile,
  idBytes,
  pumpChunks,
  sendList,
} from "./file_reader.ts";
import type { Outcome } from "./incoming.ts";
import { type OutgoingAction, type OutgoingEvent, OutgoingTransfer } from "./outgoing.ts";
import { belowLowWater } from "./pace.ts";
import { Progress } from "./progress.ts";
import type { FileChat, TransferContext } from "./transfer_context.ts";

/**
 * File data one transfer has in flight before the receiver's acknowledgements
 * (docs/protocol.md §14.6): what the socket buffers of both ends hold at
 * most for it, so a chat message sent meanwhile waits behind that, not
 * behind the tens of megabytes a kernel would queue for a slow receiver.
 */
export const FILE_WINDOW = 4 * 1024 * 1024;
/** How often a full window looks whether the chat moved (what was in flight there is forgiven). */
const WINDOW_LOOK_MS = 50;
/** A window with no acknowledgement this long is forgiven: a move may have lost what was in it. */
const WINDOW_STALL_MS = 5_000;

/** One file being sent. */
export class Sending {
  /** Which way it goes. */
  readonly direction = "out";
  /** The transfer's id. */
  readonly id: string;
  /** Who it goes to. */
  readonly peer: Name;
  /** `peer`, folded. */
  readonly key: NameKey;
  /** The machine that decides. */
  readonly machine: OutgoingTransfer;
  /** How far it is. */
  readonly progress: Progress;
  /** How it ended, once it did. */
  outcome: Outcome | undefined;
  /** Whether the user was told it waits for a slot. */
  toldWaiting = false;
  /** The chat it was offered on, once it was. */
  #chat: FileChat | undefined;
  readonly #ctx: TransferContext;
  readonly #path: string;
  /** This transfer's number at the desk, where its file is read. */
  readonly #t: number;
  /** Whether the file is open at the desk. */
  #open = false;
  #hashed: HashedFile | undefined;
  readonly #stop = new AbortController();
  /** The end being reported, once it ended. */
  #finishing: Promise<void> = Promise.resolve();
  /** Bytes pumped in this attempt (what was kept from before is the machine's). */
  #sent = 0;
  /** The window: bytes acknowledged (the receiver's count, plus what was forgiven). */
  #acked = 0;
  #forgiven = 0;
  #ackedAt = 0;
  #ackWake = Promise.withResolvers<void>();
  /** The connection what is in flight went out on. */
  #sentOn: unknown;

  /** The file at `path` (`size` bytes, `t` at the desk), for `peer`, offered as `name`. */
  constructor(
    target: { id: string; peer: Name; key: NameKey },
    file: { path: string; name: string; size: number; t: number },
    ctx: TransferContext,
  ) {
    this.id = target.id;
    this.peer = target.peer;
    this.key = target.key;
    this.machine = new OutgoingTransfer({ id: target.id, name: file.name, size: file.size });
    this.progress = new Progress(0, ctx.clock());
    this.#path = file.path;
    this.#t = file.t;
    this.#ctx = ctx;
  }

  /** The chat it was offered on, once it was. */
  get chat(): FileChat | undefined {
    return this.#chat;
  }

  /** The file's name, size and SHA-256 (once hashed). */
  get file(): { name: string; size: number; sha256: string } {
    const { name, size } = this.machine.file;
    return { name, size, sha256: this.#hashed?.sha256 ?? "" };
  }

  /** Hashes the file; resolves once it is ready to be offered (or failed). */
  async prepare(hasher: FileHasher): Promise<void> {
    try {
      this.#hashed = await hasher.hash(this.#path, this.#ctx.desk, this.#t);
    } catch (error) {
      return this.feed({
        type: "fail",
        reason: error instanceof FileChanged ? "changed" : "unreadable",
      });
    }
    if (this.#hashed.size !== this.machine.file.size) {
      return this.feed({ type: "fail", reason: "changed" });
    }
    await this.feed({ type: "prepared", prepared: this.#hashed });
  }

  /** Offers the file on `chat`. */
  offer(chat: FileChat): Promise<void> {
    this.#chat = chat;
    this.#ctx.sink.emit({
      type: "file-offer",
      peer: this.peer,
      id: this.id,
      ...this.file,
      direction: "out",
    });
    return this.feed({ type: "offer" });
  }

  /** The receiver has taken `bytes` of this attempt's data: the window moves on. */
  acked(bytes: number): void {
    const acked = Math.min(this.#sent, bytes + this.#forgiven);
    if (acked <= this.#acked) return;
    this.#acked = acked;
    this.#ackedAt = this.#ctx.clock();
    this.#ackWake.resolve();
    this.#ackWake = Promise.withResolvers<void>();
  }

  /**
   * Waits while FILE_WINDOW bytes are unacknowledged. What went out on a
   * connection the chat has moved away from, or sits unacknowledged for
   * WINDOW_STALL_MS, is forgiven: the receiver asks at the end for anything
   * that never came.
   */
  async #window(chat: FileChat, signal: AbortSignal): Promise<void> {
    while (this.#sent - this.#acked > FILE_WINDOW && !signal.aborted) {
      const stalled = this.#ctx.clock() - this.#ackedAt > WINDOW_STALL_MS;
      if (chat.channel !== this.#sentOn || stalled) {
        this.#forgiven += this.#sent - this.#acked;
        this.#acked = this.#sent;
        this.#ackedAt = this.#ctx.clock();
        return;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#ackWake.promise,
        new Promise<void>((resolve) => timer = setTimeout(resolve, WINDOW_LOOK_MS)),
      ]);
      clearTimeout(timer);
    }
  }

  /** Resolves once its end (if it ended) is reported. */
  get settled(): Promise<void> {
    return this.#finishing;
  }

  /** Feeds `event`; resolves once its actions are started. */
  async feed(event: OutgoingEvent): Promise<void> {
    await this.#run(this.machine.handle(event));
  }

  async #run(actions: OutgoingAction[]): Promise<void> {
    let list = false;
    for (const action of actions) {
      switch (action.type) {
        case "say":
          this.#say(action.message);
          break;
        case "send-list":
          list = true;
          break;
        case "pump":
          this.#pump(list, action.chunks);
          break;
        case "finish":
          this.#finishing = this.#finish(action.outcome);
          await this.#finishing;
          break;
      }
    }
  }

  #say(message: FileMessage): void {
    // A chat that is gone needs no word: its end fails the transfer (FileShell.closed).
    this.#chat?.channel.send(encodeFileMessage(message)).catch(() => {});
  }

  /** Sends the list (when asked) and `chunks` in the background; then `pumped`, or why not. */
  #pump(list: boolean, chunks: readonly number[]): void {
    const chat = this.#chat!;
    const hashed = this.#hashed!;
    const signal = this.#stop.signal;
    const id = idBytes(this.id);
    this.#ackedAt = this.#ctx.clock();
    const send = async (frame: Uint8Array): Promise<void> => {
      await this.#window(chat, signal);
      await belowLowWater(() => chat.channel.bufferedAmount, signal);
      for (;;) {
        if (signal.aborted) return;
        const channel = chat.channel;
        this.#sentOn = channel;
        try {
          return await channel.send(frame);
        } catch (error) {
          // A connection the chat moved away from failed: the piece goes on the new one.
          if (chat.channel === channel || chat.channel.closed) throw error;
        }
      }
    };
    (async () => {
      try {
        if (!this.#open) {
          const opened = await this.#ctx.desk.ask({
            op: "source-open",
            t: this.#t,
            path: this.#path,
            stamp: hashed.stamp,
          });
          if (opened.op !== "source-opened") throw failure(opened);
          this.#open = true;
        }
        if (list) await sendList(id, hashed, send);
        await pumpChunks(hashed, {
          desk: this.#ctx.desk,
          t: this.#t,
          id,
          chunks,
          send,
          signal,
          sent: (bytes: number) => {
            this.#sent += bytes;
            const bytesNow = Math.min(
              this.machine.file.size,
              this.machine.resumedBytes + this.#sent,
            );
            this.progress.update(bytesNow, this.#ctx.clock());
          },
        });
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof FileChanged) {
          return await this.feed({ type: "fail", reason: "changed" });
        }
        if (error instanceof FileUnreadable) {
          return await this.feed({ type: "fail", reason: "unreadable" });
        }
        return; // The chat is gone: its end fails the transfer (FileShell.closed).
      }
      if (!signal.aborted) await this.feed({ type: "pumped" });
    })().catch((error) => this.#ctx.report(error));
  }

  async #finish(outcome: Outcome): Promise<void> {
    this.outcome = outcome;
    this.#stop.abort();
    if (this.#open) {
      this.#open = false;
      await this.#ctx.desk.ask({ op: "source-close", t: this.#t });
    }
    const base = { peer: this.peer, id: this.id, name: this.machine.file.name };
    const event: EventBody = outcome.kind === "done"
      ? {
        type: "file-sent",
        ...base,
        size: this.machine.file.size,
        sha256: this.#hashed!.sha256,
        resumed_bytes: this.machine.resumedBytes,
      }
      : {
        type: "file-failed",
        ...base,
        direction: "out",
        reason: outcome.reason,
        resumable: outcome.resumable,
        by: outcome.by,
        size: this.machine.file.size,
        ...(outcome.detail ? { detail: outcome.detail } : {}),
        ...(outcome.max === undefined ? {} : { max: outcome.max }),
        ...(outcome.left === undefined ? {} : { left: outcome.left }),
      };
    this.#ctx.sink.emit(event);
    this.#ctx.ended(this.id);
  }
}
