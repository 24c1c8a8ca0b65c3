/**
 * The receiver's disk work (docs/protocol.md §14.3, §14.4), one request at a
 * time and in order: opening parts, writing pieces, and the hashes of
 * chunks and of whole files, taken as the pieces are written when they come
 * in order, else read back from the part (after a resume, or pieces out of
 * order across a move). It runs in a worker of its own (part_worker.ts), so
 * that writing and hashing do not hold up the thread that reads the
 * chats, or, where no worker can be started, in that thread
 * (desk_client.ts).
 *
 * @example
 * ```ts
 * import { PartDesk } from "./part_desk.ts";
 *
 * const desk = new PartDesk();
 * const dir = await Deno.makeTempDir();
 * await desk.handle({ op: "create", t: 1, q: 1, dir, name: "a.txt" }); // { op: "opened", base: "a.txt.part", … }
 * await desk.handle({ op: "write", t: 1, q: 2, position: 0, index: 0, start: 0, data: new Uint8Array([1]) });
 * console.log((await desk.handle({ op: "chunk", t: 1, q: 3, index: 0, position: 0, length: 1 })).op); // "chunk"
 * ```
 *
 * @module
 */
import { InOrderHash } from "./in_order_hash.ts";
import { isNoSpace, PartFile } from "./part_file.ts";

/** What the desk is asked; `t` names the transfer, `q` the request (its reply repeats both). */
export type DeskRequest =
  | { op: "create"; t: number; q: number; dir: string; name: string }
  | { op: "reopen"; t: number; q: number; dir: string; base: string; size: number }
  /** Writes `data` at `position`: a piece of chunk `index`, which starts at `start`. */
  | {
    op: "write";
    t: number;
    q: number;
    position: number;
    index: number;
    start: number;
    data: Uint8Array;
  }
  /** The hash of chunk `index`, complete: as written, or read back. */
  | { op: "chunk"; t: number; q: number; index: number; position: number; length: number }
  /** The hash of the whole part of `size` bytes: as written, or in one pass. */
  | { op: "file"; t: number; q: number; size: number }
  | { op: "sync"; t: number; q: number }
  | { op: "place"; t: number; q: number; name: string }
  | { op: "close"; t: number; q: number; discard: boolean };

/** What the desk answers. */
export type DeskReply =
  | { op: "opened"; t: number; q: number; dir: string; base: string }
  /** Reopening found no part to resume. */
  | { op: "missing"; t: number; q: number }
  | { op: "wrote"; t: number; q: number }
  | { op: "chunk"; t: number; q: number; index: number; digest: Uint8Array }
  | { op: "file"; t: number; q: number; digest: Uint8Array }
  | { op: "placed"; t: number; q: number; path: string }
  | { op: "done"; t: number; q: number }
  /** The request failed: for space (`no-space`) or otherwise; later writes of `t` are dropped. */
  | { op: "failed"; t: number; q: number; kind: "no-space" | "failed"; message: string };

type Open = {
  part: PartFile;
  whole: InOrderHash;
  chunks: Map<number, InOrderHash>;
  failed: boolean;
};

/** Parts and their hashes, by transfer. */
export class PartDesk {
  readonly #open = new Map<number, Open>();

  /** Carries out `request`; never rejects (a failure is a `failed` reply). */
  async handle(request: DeskRequest): Promise<DeskReply> {
    const { t, q } = request;
    try {
      return await this.#handle(request);
    } catch (error) {
      const open = this.#open.get(t);
      if (open) open.failed = true;
      const message = error instanceof Error ? error.message : String(error);
      return { op: "failed", t, q, kind: isNoSpace(error) ? "no-space" : "failed", message };
    }
  }

  async #handle(r: DeskRequest): Promise<DeskReply> {
    const { t, q } = r;
    switch (r.op) {
      case "create":
      case "reopen": {
        const part = r.op === "create"
          ? await PartFile.create(r.dir, r.name)
          : await PartFile.reopen(r.dir, r.base, r.size);
        if (!part) return { op: "missing", t, q };
        this.#open.set(t, { part, whole: new InOrderHash(), chunks: new Map(), failed: false });
        return { op: "opened", t, q, dir: part.dir, base: part.base };
      }
      case "write": {
        const open = this.#need(t);
        // After a failed write the transfer has ended: what was on its way is dropped.
        if (open.failed) return { op: "wrote", t, q };
        await open.part.write(r.position, r.data);
        open.whole.feed(r.position, r.data);
        let chunk = open.chunks.get(r.index);
        if (!chunk) open.chunks.set(r.index, chunk = new InOrderHash(r.start));
        chunk.feed(r.position, r.data);
        return { op: "wrote", t, q };
      }
      case "chunk": {
        const open = this.#need(t);
        const hash = open.chunks.get(r.index);
        open.chunks.delete(r.index);
        const digest = hash?.digest(r.position + r.length) ??
          await open.part.hash(r.position, r.length);
        return { op: "chunk", t, q, index: r.index, digest };
      }
      case "file": {
        const open = this.#need(t);
        const digest = open.whole.digest(r.size) ?? await open.part.hash(0, r.size);
        return { op: "file", t, q, digest };
      }
      case "sync":
        await this.#open.get(t)?.part.sync();
        return { op: "done", t, q };
      case "place": {
        const open = this.#need(t);
        this.#open.delete(t);
        return { op: "placed", t, q, path: await open.part.place(r.name) };
      }
      case "close": {
        const open = this.#open.get(t);
        this.#open.delete(t);
        if (open) await (r.discard ? open.part.discard() : open.part.close());
        return { op: "done", t, q };
      }
    }
  }

  #need(t: number): Open {
    const open = this.#open.get(t);
    if (!open) throw new Error(`No part is open for transfer ${t}`);
    return open;
  }
}
