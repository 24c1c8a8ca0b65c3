/**
 * The files' shell (docs/protocol.md §14): every transfer of the session by
 * id, the chats they travel on, the commands (`/send`, `/accept-file`,
 * `/decline-file`, `/cancel`, `/files`), and the file messages the chats
 * hand over. It keeps the bounds: at most MAX_ACTIVE_PER_PEER transfers
 * under way with one peer each way (more offers wait on the sender's side,
 * and a receiver refuses more as busy), --max-file-size, the relay's
 * budget, and progress at most four times a second per transfer.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { type Name, type NameKey, nameKey } from "../../protocol/mod.ts";
import { CommandError, type EventSink, type ListedTransfer } from "../core/mod.ts";
import { PeerProtocolError } from "../core/mod.ts";
import { Bitmap, relayBytes } from "./chunk_plan.ts";
import { type FileMessage, randomTransferId } from "./file_messages.ts";
import { FileHasher, openToSend } from "./file_reader.ts";
import { DeskClient } from "./desk_client.ts";
import { PROGRESS_PER_SECOND } from "./progress.ts";
import { Receiving } from "./receiving.ts";
import { ResumeRecords, TRANSFERS_FILE } from "./resume_records.ts";
import { Sending } from "./sending.ts";
import type { FileChat, TransferContext } from "./transfer_context.ts";
import { listed, matching } from "./transfer_list.ts";

/** Transfers under way with one peer at once, each way; more offers wait (sender) or are busy (receiver). */
export const MAX_ACTIVE_PER_PEER = 4;
/** Transfers of the session `/files` remembers; older finished ones are forgotten. */
export const MAX_KEPT_TRANSFERS = 100;
/** What the files' shell needs. */
export type FileShellOptions = {
  /** The data directory, where the records of kept parts live. */
  home: string;
  /** Where received files go. */
  downloads: string;
  /** Offers larger than this are refused before any data moves. */
  maxFileSize: number;
  sink: EventSink;
  clock?: () => number;
  /** The bytes the relay will still carry for the chat that joined with `token`, if known. */
  relayLeft(token: string): number | undefined;
  /** Reports a failure nobody's command asked for. */
  report(error: unknown): void;
};

type Transfer = Sending | Receiving;

/** Every transfer of one session. */
export class FileShell {
  readonly #o: FileShellOptions;
  readonly #clock: () => number;
  readonly #records: ResumeRecords;
  readonly #ctx: TransferContext;
  readonly #transfers = new Map<string, Transfer>();
  /** The open chat with each peer. */
  readonly #chats = new Map<NameKey, FileChat>();
  readonly #hasher = new FileHasher();
  readonly #desk = new DeskClient();
  /** Numbers transfers at the part desk. */
  #nextT = 1;
  #ticker: ReturnType<typeof setInterval> | undefined;

  private constructor(options: FileShellOptions, records: ResumeRecords) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
    this.#records = records;
    this.#ctx = {
      sink: options.sink,
      clock: this.#clock,
      records,
      desk: this.#desk,
      ended: (id) => this.#ended(id),
      report: options.report,
    };
  }

  /** The shell, with the records of parts kept in `options.home` loaded. */
  static async create(options: FileShellOptions): Promise<FileShell> {
    // The records sync the parts before they are written: the shell, once it exists, does that.
    const parts = { sync: (): Promise<void> => Promise.resolve() };
    const records = await ResumeRecords.load(join(options.home, TRANSFERS_FILE), {
      clock: options.clock,
      sync: () => parts.sync(),
    });
    const shell = new FileShell(options, records);
    parts.sync = () => shell.#syncParts();
    return shell;
  }

  async #syncParts(): Promise<void> {
    for (const t of this.#transfers.values()) {
      // A part that fails to sync fails its next write too, and that is reported.
      if (t instanceof Receiving) await t.sync().catch(() => {});
    }
  }

  /** A chat with its peer is open (or replaced an older one): offers waiting for it go. */
  opened(chat: FileChat): void {
    this.#chats.set(chat.peer.key, chat);
    this.#offerWaiting(chat.peer.key);
  }

  /** A chat ended: what travelled on it stops (resumable), and what waited for it fails. */
  closed(chat: FileChat): void {
    if (this.#chats.get(chat.peer.key) === chat) this.#chats.delete(chat.peer.key);
    for (const t of [...this.#transfers.values()]) {
      if (t.outcome || t.key !== chat.peer.key) continue;
      if (t instanceof Receiving) {
        if (t.chat === chat) t.feed({ type: "lost" });
      } else if (t.chat === chat || (!t.chat && !this.#chats.has(t.key))) {
        t.feed({ type: "fail", reason: "connection-lost" });
      }
    }
  }

  /** No chat with `name` came of the request a `/send` made (`reason`: why). */
  refused(name: Name, reason: "declined" | "offline" | "connection-lost"): void {
    const key = nameKey(name);
    if (this.#chats.has(key)) return;
    for (const t of [...this.#transfers.values()]) {
      if (t instanceof Sending && !t.outcome && t.key === key && !t.chat) {
        t.feed({ type: "fail", reason });
      }
    }
  }

  /**
   * A file message came on `chat`: routed to its transfer. Data and list
   * pieces resolve once written, holding the chat's read meanwhile; a
   * message that breaks the rules is a PeerProtocolError (the chat closes).
   */
  async receive(chat: FileChat, message: FileMessage): Promise<void> {
    if (message.type === "file-offer") return this.#offered(chat, message);
    const t = this.#transfers.get(message.id);
    if (!t || t.key !== chat.peer.key) {
      throw new PeerProtocolError(`a ${message.type} for a transfer never offered`);
    }
    const incoming = message.type === "file-list" || message.type === "file-data" ||
      message.type === "file-end";
    if (message.type !== "file-cancel" && incoming !== (t instanceof Receiving)) {
      throw new PeerProtocolError(`a ${message.type} for a transfer the other way`);
    }
    if (t instanceof Receiving) {
      switch (message.type) {
        case "file-list":
          return await t.feed({ type: "list", offset: message.offset, data: message.data });
        case "file-data":
          return await t.feed({
            type: "data",
            index: message.index,
            offset: message.offset,
            data: message.data,
          });
        case "file-end":
          return void t.feed({ type: "end" });
        case "file-cancel":
          return void t.feed({ type: "peer-cancel", reason: message.reason });
      }
      return;
    }
    switch (message.type) {
      case "file-ack":
        return t.acked(message.bytes);
      case "file-accept":
        return await t.feed({ type: "accepted", have: message.have });
      case "file-decline":
        return await t.feed({ type: "declined", reason: message.reason, max: message.max });
      case "file-want":
        return await t.feed({ type: "want", have: message.have, list: message.list });
      case "file-done":
        return await t.feed({ type: "done" });
      case "file-cancel":
        return await t.feed({ type: "peer-cancel", reason: message.reason });
    }
  }

  /**
   * `/send`: offers the file at `path` to `peer`, once it is hashed and a
   * chat with `peer` is open (the caller opens one if need be) and a slot is
   * free. Throws FileError for a file that cannot be offered.
   */
  async send(peer: Name, path: string, out: EventSink): Promise<string> {
    const { full, name, size } = await openToSend(path);
    const id = randomTransferId();
    const t = new Sending(
      { id, peer, key: nameKey(peer) },
      { path: full, name, size, t: this.#nextT++ },
      this.#ctx,
    );
    this.#add(t);
    out.emit({ type: "notice", notice: { code: "file-preparing", peer, id, name, size } });
    t.prepare(this.#hasher).then(() => this.#offerWaiting(t.key))
      .catch((error) => this.#o.report(error));
    return id;
  }

  /** `/accept-file ID`. */
  async accept(id: string): Promise<void> {
    const t = this.#find(id, "/accept-file", (t) => t instanceof Receiving && t.machine.offered);
    await (t as Receiving).accept(this.#o.downloads);
  }

  /** `/decline-file ID`. */
  async decline(id: string): Promise<void> {
    const t = this.#find(id, "/decline-file", (t) => t instanceof Receiving && t.machine.offered);
    await (t as Receiving).feed({ type: "decline" });
  }

  /** `/cancel ID`: stops a transfer either way. */
  async cancel(id: string): Promise<void> {
    const t = this.#find(id, "/cancel", (t) => !t.outcome);
    await t.feed({ type: "cancel" });
  }

  /** `/files`. */
  list(out: EventSink): void {
    out.emit({ type: "files", transfers: [...this.#transfers.values()].map(listed) });
  }

  /** The transfers as `/files` lists them. */
  get listing(): ListedTransfer[] {
    return [...this.#transfers.values()].map(listed);
  }

  /** Quitting: every transfer under way stops (resumable), and the records are written. */
  async quit(): Promise<void> {
    await Promise.all([...this.#transfers.values()].map((t) => {
      // One that ended is still reporting it (its part closed, its record written): waited for.
      if (t.outcome) return t.settled;
      return t instanceof Receiving
        ? t.feed({ type: "lost" })
        : t.feed({ type: "fail", reason: "connection-lost" });
    }));
    clearInterval(this.#ticker);
    await this.#records.flush().catch((error) => this.#o.report(error));
    await this.#desk.stop();
  }

  async #offered(chat: FileChat, offer: Extract<FileMessage, { type: "file-offer" }>) {
    if (this.#transfers.has(offer.id)) {
      throw new PeerProtocolError("an offer with the id of another transfer");
    }
    const t = new Receiving(chat, offer, { ...this.#ctx, t: this.#nextT++ });
    const active = this.#activeWith(chat.peer.key, "in");
    this.#add(t);
    const told = (resuming: boolean) =>
      this.#o.sink.emit({
        type: "file-offer",
        peer: t.peer,
        id: t.id,
        name: offer.name,
        size: offer.size,
        sha256: offer.sha256,
        ...(resuming ? { resuming } : {}),
      });
    if (active >= MAX_ACTIVE_PER_PEER) {
      told(false);
      return void t.feed({ type: "refuse", reason: "busy" });
    }
    if (offer.size > this.#o.maxFileSize) {
      told(false);
      return void t.feed({ type: "refuse", reason: "too-large", max: this.#o.maxFileSize });
    }
    const kept = await this.#kept(t);
    told(kept !== undefined);
    if (!kept) return;
    this.#o.sink.emit({
      type: "notice",
      notice: {
        code: "file-resuming",
        peer: t.peer,
        id: t.id,
        name: offer.name,
        kept: kept.bytes,
        size: offer.size,
      },
    });
    await t.resume(kept.have);
  }

  /**
   * What is kept of the file `t` offers, from an earlier attempt: its part
   * (reopened) and checked chunks, if there is a record of it in this
   * downloads directory and the part is still there.
   */
  async #kept(t: Receiving): Promise<{ have: Bitmap; bytes: number } | undefined> {
    const offer = t.offer;
    const record = this.#records.find(t.fileKey);
    if (!record || record.chunk !== offer.chunk || record.list !== offer.list) return undefined;
    if (record.dir !== resolve(this.#o.downloads)) return undefined;
    const have = Bitmap.fromBase64(record.have, t.machine.count);
    if (!have || !await t.reopen(record.dir, record.part)) return undefined;
    let bytes = 0;
    for (let i = 0; i < have.size; i++) {
      if (have.has(i)) bytes += Math.min(offer.chunk, offer.size - i * offer.chunk);
    }
    return { have, bytes };
  }

  /** Offers what is ready for `key`, while a chat is open and slots are free. */
  #offerWaiting(key: NameKey): void {
    const chat = this.#chats.get(key);
    if (!chat || chat.closing) return;
    let active = this.#activeWith(key, "out");
    for (const t of this.#transfers.values()) {
      if (!(t instanceof Sending) || t.key !== key || !t.machine.ready) continue;
      if (active >= MAX_ACTIVE_PER_PEER) {
        if (!t.toldWaiting) {
          t.toldWaiting = true;
          this.#o.sink.emit({
            type: "notice",
            notice: { code: "file-waiting", peer: t.peer, id: t.id, name: t.file.name },
          });
        }
        continue;
      }
      const left = chat.path === "relay" && chat.relayToken !== undefined
        ? this.#o.relayLeft(chat.relayToken)
        : undefined;
      if (left !== undefined && relayBytes(t.file.size, t.machine.prepared!.chunk) > left) {
        t.feed({ type: "fail", reason: "relay-budget", left });
        continue;
      }
      active++;
      t.offer(chat);
      this.#tick();
    }
  }

  #activeWith(key: NameKey, direction: "in" | "out"): number {
    let n = 0;
    for (const t of this.#transfers.values()) {
      if (t.key !== key || t.direction !== direction || t.outcome) continue;
      if (t instanceof Sending ? t.machine.active : !t.machine.over) n++;
    }
    return n;
  }

  #add(t: Transfer): void {
    this.#transfers.set(t.id, t);
    for (const [id, old] of this.#transfers) {
      if (this.#transfers.size <= MAX_KEPT_TRANSFERS) break;
      if (old.outcome) this.#transfers.delete(id);
    }
    this.#tick();
  }

  #ended(id: string): void {
    const t = this.#transfers.get(id);
    if (t) this.#offerWaiting(t.key);
  }

  #find(id: string, command: string, applies: (t: Transfer) => boolean): Transfer {
    const found = matching([...this.#transfers.values()].filter(applies), id);
    if (found.length === 1) return found[0];
    throw new CommandError(
      found.length === 0
        ? { code: "bad-command", problem: "no-transfer", id, command }
        : { code: "bad-command", problem: "ambiguous-transfer", id, count: found.length },
    );
  }

  /** Progress, at most PROGRESS_PER_SECOND a second per transfer, while any is under way. */
  #tick(): void {
    this.#ticker ??= setInterval(() => {
      const now = this.#clock();
      let busy = false;
      for (const t of this.#transfers.values()) {
        if (t.outcome) continue;
        busy = true;
        const moving = t instanceof Sending ? t.machine.accepted : !t.machine.offered;
        if (!moving || !t.progress.due(now)) continue;
        const { name, size } = t instanceof Sending ? t.file : t.offer;
        this.#o.sink.emit({
          type: "file-progress",
          peer: t.peer,
          id: t.id,
          bytes: t.progress.bytes,
          size,
          rate: t.progress.rate(now),
          name,
          direction: t.direction,
        });
      }
      if (!busy) {
        clearInterval(this.#ticker);
        this.#ticker = undefined;
      }
    }, 1000 / PROGRESS_PER_SECOND);
  }
}
