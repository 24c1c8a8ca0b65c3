/**
 * The key-transparency side of a directory session (docs/protocol.md §15.4):
 * the checkpoint and binding proofs that go with every reply showing a key,
 * and the log's own requests (`log-checkpoint`, `log-consistency`,
 * `log-entries`, `log-history`), which need no registration: anyone may
 * audit the log. Session (session.ts) dispatches to these.
 *
 * @module
 */
import {
  encodeMessage,
  MAX_LOG_ENTRIES,
  type NameKey,
  nameKey,
  type Reply,
  type Request,
  type UserEntry,
} from "../protocol/mod.ts";
import { fromBase64, MAX_MESSAGE } from "../crypto/mod.ts";
import type { DirectoryState } from "./state/mod.ts";

/** Largest `users` reply with its proofs: a page stops short of it (`more`), to fit one record. */
export const MAX_LIST_REPLY_BYTES = 60 * 1024;

/** What the log requests need: the directory's state, which keeps the log. */
export type LogContext = { readonly directory: Pick<DirectoryState<unknown>, "keyLog"> };

/** The log's own requests. */
export type LogRequest = Extract<
  Request,
  { type: "log-checkpoint" | "log-consistency" | "log-entries" | "log-history" }
>;

/** Whether `request` is one of the log's own. */
export function isLogRequest(request: Request): request is LogRequest {
  return request.type.startsWith("log-");
}

/** The reply to one of the log's own requests; DirectoryError `log-range` for sizes it lacks. */
export async function logReply(ctx: LogContext, request: LogRequest): Promise<Reply> {
  const log = await ctx.directory.keyLog();
  const { id } = request;
  switch (request.type) {
    case "log-checkpoint":
      return { id, type: "log-checkpoint", checkpoint: await log.latest() };
    case "log-consistency": {
      const proof = await log.consistency(request.from, request.to);
      return { id, type: "log-consistency", from: request.from, to: request.to, proof };
    }
    case "log-entries": {
      const page = await log.entries(request.from, request.count ?? MAX_LOG_ENTRIES);
      return { id, type: "log-entries", from: request.from, ...page };
    }
    case "log-history": {
      const name = request.name.toLowerCase();
      const page = await log.history(name, request.from ?? 0);
      return { id, type: "log-history", name: request.name, ...page };
    }
  }
}

const encoder = new TextEncoder();

/**
 * `user` with the proof that its key is its name's binding, and the
 * checkpoint proven in; `fresh` (a registration: a session's first answer)
 * from the latest the store sealed.
 */
export async function provenUser(
  ctx: LogContext,
  user: UserEntry,
  options: { fresh?: boolean } = {},
): Promise<{ user: UserEntry; checkpoint: string }> {
  const { checkpoint, proof } = await provenKey(ctx, user.name, user.key, options);
  return { user: { ...user, proof }, checkpoint };
}

/** The checkpoint and the proof that `key` (base64) is `name`'s binding in it. */
export async function provenKey(
  ctx: LogContext,
  name: string,
  key: string,
  options: { fresh?: boolean } = {},
): Promise<{ checkpoint: string; proof: string }> {
  const proven = await (await ctx.directory.keyLog()).prove([listed({ name, key })], options);
  return { checkpoint: proven.checkpoint, proof: proven.proofs[0] };
}

/** What the log binds to `name` (folded): the checkpoint and proof a not-found carries. */
export async function provenAbsence(
  ctx: LogContext,
  name: string,
): Promise<{ checkpoint: string; proof: string }> {
  const proven = await (await ctx.directory.keyLog()).prove([{
    name: name.toLowerCase() as NameKey,
  }]);
  return { checkpoint: proven.checkpoint, proof: proven.proofs[0] };
}

/**
 * A page of `list` with a proof for each user, under one checkpoint; cut
 * short (with `more`) where the reply would pass MAX_LIST_REPLY_BYTES.
 */
export async function provenPage(
  ctx: LogContext,
  id: number,
  page: { users: UserEntry[]; more: boolean },
): Promise<Extract<Reply, { type: "users" }>> {
  const proven = await (await ctx.directory.keyLog()).prove(page.users.map(listed));
  const users = page.users.map((user, i) => ({ ...user, proof: proven.proofs[i] }));
  const reply = {
    id,
    type: "users" as const,
    users,
    more: page.more,
    checkpoint: proven.checkpoint,
  };
  let size = encodeMessage(reply).length;
  while (size > Math.min(MAX_LIST_REPLY_BYTES, MAX_MESSAGE) && reply.users.length > 1) {
    size -= encoder.encode(JSON.stringify(reply.users.pop())).length + 1;
    reply.more = true;
  }
  return reply;
}

/** What a proof is asked for: the folded name, and the key listed for it. */
function listed(user: { name: string; key: string }): { name: NameKey; key?: Uint8Array } {
  let key: Uint8Array | undefined;
  try {
    key = fromBase64(user.key);
  } catch {
    key = undefined; // The state lists keys it proved; no proof can say otherwise.
  }
  return { name: nameKey(user.name as never), key };
}
