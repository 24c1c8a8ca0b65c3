/**
 * One file being sent, as a machine without I/O (docs/protocol.md §14.3):
 * the shell hashes the file, then feeds what happens (the chat is ready for
 * the offer, the receiver's accept with the chunks it kept, the pump done,
 * its want for what never came, its done, a cancel) and carries out the
 * actions: say this, send the hash list, pump these chunks, and finally how
 * it ended.
 *
 * @example
 * ```ts
 * import { OutgoingTransfer } from "./outgoing.ts";
 *
 * const file = new OutgoingTransfer({ id: "00".repeat(16), name: "a.txt", size: 3 });
 * file.handle({
 *   type: "prepared",
 *   prepared: { sha256: "ab".repeat(32), list: "cd".repeat(32), chunk: 1 << 20 },
 * });
 * console.log(file.handle({ type: "offer" })[0]); // { type: "say", message: { type: "file-offer", … } }
 * ```
 *
 * @module
 */
import { Bitmap, chunkCount, chunkLength } from "./chunk_plan.ts";
import type { FileCancelReason, FileDeclineReason, FileMessage } from "./file_messages.ts";
import type { Outcome } from "./incoming.ts";
import type { FileFailReason, FileStoppedBy } from "../core/mod.ts";

/** What hashing the file gave. */
export type Prepared = {
  /** SHA-256 of the file, hex. */
  readonly sha256: string;
  /** SHA-256 of the list of chunk hashes, hex. */
  readonly list: string;
  readonly chunk: number;
};

/** What comes in. */
export type OutgoingEvent =
  | { readonly type: "prepared"; readonly prepared: Prepared }
  /** The chat is open and a slot free: offer now. */
  | { readonly type: "offer" }
  | { readonly type: "accepted"; readonly have: string }
  | { readonly type: "declined"; readonly reason: FileDeclineReason; readonly max?: number }
  /** The pump sent every chunk it was given. */
  | { readonly type: "pumped" }
  | { readonly type: "want"; readonly have: string; readonly list?: true }
  | { readonly type: "done" }
  | { readonly type: "peer-cancel"; readonly reason: FileCancelReason }
  | { readonly type: "cancel" }
  /** Something the shell found: the file changed or cannot be read, the chat is gone, … */
  | { readonly type: "fail"; readonly reason: FileFailReason; readonly left?: number };

/** What to do. */
export type OutgoingAction =
  | { readonly type: "say"; readonly message: FileMessage }
  | { readonly type: "send-list" }
  /** Reads chunks `chunks` and sends them, in order; then `pumped`. */
  | { readonly type: "pump"; readonly chunks: readonly number[] }
  | { readonly type: "finish"; readonly outcome: Outcome };

type State = "preparing" | "ready" | "offered" | "sending" | "ending" | "over";

/** One file being sent. */
export class OutgoingTransfer {
  /** The transfer's id, the name it is offered under and its size. */
  readonly file: { readonly id: string; readonly name: string; readonly size: number };
  #state: State = "preparing";
  #prepared: Prepared | undefined;
  #resumed = 0;

  /** A transfer of `file`, to be hashed first. */
  constructor(file: { id: string; name: string; size: number }) {
    this.file = file;
  }

  /** What hashing gave, once it is done. */
  get prepared(): Prepared | undefined {
    return this.#prepared;
  }

  /** Whether it is hashed and waits to be offered. */
  get ready(): boolean {
    return this.#state === "ready";
  }

  /** Whether it was offered and not yet over: it holds one of the peer's slots. */
  get active(): boolean {
    return this.#state === "offered" || this.#state === "sending" || this.#state === "ending";
  }

  /** Whether the receiver accepted it and it is not over. */
  get accepted(): boolean {
    return this.#state === "sending" || this.#state === "ending";
  }

  /** Whether it ended. */
  get over(): boolean {
    return this.#state === "over";
  }

  /** Bytes the receiver kept from before. */
  get resumedBytes(): number {
    return this.#resumed;
  }

  /** Takes one event; returns what to do, in order. */
  handle(event: OutgoingEvent): OutgoingAction[] {
    if (this.#state === "over") return [];
    switch (event.type) {
      case "prepared":
        if (this.#state !== "preparing") return [];
        this.#prepared = event.prepared;
        this.#state = "ready";
        return [];
      case "offer": {
        if (this.#state !== "ready") return [];
        this.#state = "offered";
        const { sha256, list, chunk } = this.#prepared!;
        const { id, name, size } = this.file;
        return [{
          type: "say",
          message: { type: "file-offer", id, name, size, sha256, chunk, list },
        }];
      }
      case "accepted": {
        if (this.#state !== "offered") return [];
        const have = this.#bitmap(event.have);
        if (!have) return this.#corrupt();
        const { size, chunk } = this.#shape();
        for (let i = 0; i < have.size; i++) {
          if (have.has(i)) this.#resumed += chunkLength(size, chunk, i);
        }
        this.#state = "sending";
        return [{ type: "send-list" }, { type: "pump", chunks: have.missing() }];
      }
      case "declined":
        if (this.#state !== "offered") return [];
        return this.#fail(event.reason, "peer", false, { max: event.max });
      case "pumped":
        if (this.#state !== "sending") return [];
        this.#state = "ending";
        return [{ type: "say", message: { type: "file-end", id: this.file.id } }];
      case "want": {
        if (this.#state !== "ending") return [];
        const have = this.#bitmap(event.have);
        if (!have) return this.#corrupt();
        this.#state = "sending";
        return [
          ...(event.list ? [{ type: "send-list" } as const] : []),
          { type: "pump", chunks: have.missing() },
        ];
      }
      case "done":
        if (this.#state !== "ending") return [];
        this.#state = "over";
        return [{ type: "finish", outcome: { kind: "done" } }];
      case "peer-cancel":
        // The receiver keeps what it has unless it found it bad or the user there cancelled.
        return this.#fail(event.reason, "peer", event.reason === "no-space");
      case "cancel": {
        const told = this.#state !== "preparing" && this.#state !== "ready";
        const resumable = this.accepted;
        const actions = this.#fail("cancelled", "you", resumable);
        return told
          ? [
            {
              type: "say",
              message: { type: "file-cancel", id: this.file.id, reason: "cancelled" },
            },
            ...actions,
          ]
          : actions;
      }
      case "fail": {
        const told = this.active && (event.reason === "changed" || event.reason === "unreadable");
        const resumable = this.accepted && event.reason === "connection-lost";
        const actions = this.#fail(event.reason, "none", resumable, { left: event.left });
        if (!told) return actions;
        const reason = event.reason as FileCancelReason;
        return [
          { type: "say", message: { type: "file-cancel", id: this.file.id, reason } },
          ...actions,
        ];
      }
    }
  }

  #shape(): { size: number; chunk: number } {
    return { size: this.file.size, chunk: this.#prepared!.chunk };
  }

  #bitmap(text: string): Bitmap | null {
    const { size, chunk } = this.#shape();
    return Bitmap.fromBase64(text, chunkCount(size, chunk));
  }

  #corrupt(): OutgoingAction[] {
    return [
      { type: "say", message: { type: "file-cancel", id: this.file.id, reason: "corrupt" } },
      ...this.#fail("corrupt", "peer", false),
    ];
  }

  #fail(
    reason: FileFailReason,
    by: FileStoppedBy,
    resumable: boolean,
    figures: { max?: number; left?: number } = {},
  ): OutgoingAction[] {
    this.#state = "over";
    const { max, left } = figures;
    return [{
      type: "finish",
      outcome: {
        kind: "failed",
        reason,
        by,
        resumable,
        ...(max === undefined ? {} : { max }),
        ...(left === undefined ? {} : { left }),
      },
    }];
  }
}
