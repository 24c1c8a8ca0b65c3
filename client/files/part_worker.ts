/**
 * The worker the files' disk work runs in (desk_client.ts starts it): the
 * receiver's part desk and the sender's source desk; requests in, replies
 * out, one at a time and in order, so a piece is written before the hash
 * that covers it is taken.
 *
 * @module
 */
import { type DeskRequest, PartDesk } from "./part_desk.ts";
import { SourceDesk, type SourceReply, type SourceRequest } from "./source_desk.ts";

/** The worker's side of its messages. */
type WorkerScope = {
  onmessage: ((event: MessageEvent<DeskRequest | SourceRequest>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

const scope = globalThis as unknown as WorkerScope;
const parts = new PartDesk();
const sources = new SourceDesk();

/** The buffers a reply carries, handed back without a copy. */
function carried(reply: SourceReply | { op: string }): Transferable[] {
  if (reply.op === "source-range") {
    return [(reply as { data: Uint8Array }).data.buffer as ArrayBuffer];
  }
  if (reply.op === "source-hashed") {
    return [(reply as { hashes: Uint8Array }).hashes.buffer as ArrayBuffer];
  }
  return [];
}

let queue: Promise<void> = Promise.resolve();
scope.onmessage = (event) => {
  const request = event.data;
  // handle() never rejects: a failure is a `failed` reply.
  queue = queue.then(async () => {
    const reply = request.op.startsWith("source-")
      ? await sources.handle(request as SourceRequest)
      : await parts.handle(request as DeskRequest);
    scope.postMessage(reply, carried(reply));
  });
};
scope.postMessage({ op: "ready" });
