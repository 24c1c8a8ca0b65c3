/**
 * What the client says about users when asked: `/list` and `/whois` (the
 * directory's entries, vetted by the trust rules, each marked verified or
 * you) and `/fp` (your fingerprint, or a peer's from the open chat or the
 * pin, with the chat's SAS). Each reports one event to the command's sink.
 *
 * @module
 */
import type { Identity } from "../crypto/mod.ts";
import { type Name, nameKey } from "../protocol/mod.ts";
import type { ChatRunner } from "./chat_runner.ts";
import { CommandError, type EventSink, type ListedUser } from "./core/mod.ts";
import type { DirectoryLink } from "./directory/mod.ts";
import { isSelf, type PeerTrust, type TrustAction, vetEntry, vetListing } from "./trust/mod.ts";

/** How many users `/list` asks for. */
const LIST_LIMIT = 200;

/** What the queries need of the session. */
export type QueryContext = {
  /** Your name. */
  readonly self: Name;
  readonly identity: Identity;
  readonly link: DirectoryLink;
  readonly trust: PeerTrust;
  /** The open chats: told the names a listing saw, asked for a peer's chat. */
  readonly chats: Pick<ChatRunner, "handle" | "chatWith">;
  /** Carries out the trust rules' actions. */
  readonly apply: (actions: readonly TrustAction[], out: EventSink) => void;
};

/** `/list [PREFIX]`: the users the directory lists, reported as `users`. */
export async function listUsers(
  ctx: QueryContext,
  prefix: string | undefined,
  out: EventSink,
): Promise<void> {
  const { users, more } = await ctx.link.list({ prefix, limit: LIST_LIMIT });
  const vetted = vetListing(users, prefix);
  ctx.apply(vetted.actions, out);
  const listed = vetted.value!.map((u) => listedUser(ctx, u));
  await ctx.chats.handle({ type: "seen", names: listed.map((u) => u.name) });
  out.emit({ type: "users", users: listed, more });
}

/** `/whois NAME`: the directory's entry for `name`, if the trust rules let it stand. */
export async function whoisUser(ctx: QueryContext, name: Name, out: EventSink): Promise<void> {
  const vetted = vetEntry(ctx.trust, await ctx.link.lookup(name), name);
  ctx.apply(vetted.actions, out);
  if (!vetted.value) return;
  return out.emit({ type: "users", users: [listedUser(ctx, vetted.value)], more: false });
}

/** `/fp [NAME]`: your fingerprint, or a peer's; throws CommandError when no key is known. */
export function showFingerprint(ctx: QueryContext, name: Name | undefined, out: EventSink): void {
  if (name === undefined || isSelf(ctx.trust, name)) {
    return out.emit({
      type: "fingerprint",
      name: ctx.self,
      fingerprint: ctx.identity.public.fingerprint,
    });
  }
  const chat = ctx.chats.chatWith(name);
  const pin = ctx.trust.pin(name);
  if (!chat && !pin) {
    throw new CommandError({ code: "bad-command", problem: "no-key", peer: name });
  }
  out.emit({
    type: "fingerprint",
    name: chat?.peer.name ?? name,
    fingerprint: chat?.peer.fingerprint ?? pin!.fingerprint,
    sas: chat?.peer.sas,
    verified: pin?.verified === true,
  });
}

function listedUser(
  ctx: QueryContext,
  user: { name: Name; address: string; port: number; fingerprint: string; peer: string },
): ListedUser & { name: Name } {
  return {
    name: user.name,
    address: user.address,
    port: user.port,
    fingerprint: user.fingerprint,
    verified: ctx.trust.isVerified(user.name, user.fingerprint),
    self: user.peer === nameKey(ctx.self),
  };
}
