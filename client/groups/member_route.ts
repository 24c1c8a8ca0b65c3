/**
 * Reaching a member, and finding an invitee (docs/protocol.md §13.2, §13.4):
 * the I/O between the rules. A member is looked up, its entry and key
 * checked as `/chat` checks them (member_check.ts), dialled as `/chat`
 * dials (directly, raced against the relay), the handshake demanding the
 * membership's key, and greeted with the group hello; an invitee's key comes
 * from the directory's entry, or offline from its binding, checked against
 * the pin.
 *
 * @module
 */
import {
  fromBase64,
  type Identity,
  PublicIdentity,
  type SecureChannel,
  UnexpectedPeerKey,
} from "../../crypto/mod.ts";
import {
  DirectoryError,
  DirectoryUnavailableError,
  type Name,
  nameKey,
  parseName,
  type UserEntry,
} from "../../protocol/mod.ts";
import { type PathPolicy, reachPeer, receiveWithin, say } from "../chat/mod.ts";
import type { EventSink } from "../core/mod.ts";
import type { DirectoryLink } from "../directory/mod.ts";
import {
  admitListed,
  type PeerTrust,
  refusal,
  type TrustAction,
  vetEntry,
  vetKey,
} from "../trust/mod.ts";
import { LINK_ANSWER_MS } from "./group_link.ts";
import { checkMember } from "./member_check.ts";
import { type Member, member } from "./membership.ts";

/** What reaching a member needs of the client. */
export type RouteContext = {
  readonly name: Name;
  readonly identity: Identity;
  readonly link: DirectoryLink;
  readonly trust: PeerTrust;
  readonly policy: PathPolicy;
  readonly clock: () => number;
  /** Gives up every dial (the user quit). */
  readonly signal: AbortSignal;
  /** Shows the trust rules' warnings (each once a session) and notes changed keys. */
  warn(actions: readonly TrustAction[]): void;
  /** The version of `group`'s membership we hold, for the hello. */
  version(group: string): number;
};

/** What reaching a member gave. */
export type Reaching =
  /** A channel the member let in for `group` (its accept read). */
  | { readonly kind: "channel"; readonly channel: SecureChannel }
  /** Not online, out of reach, or declining: mail. */
  | { readonly kind: "offline" }
  /** Its key does not hold up (warned): nothing goes. */
  | { readonly kind: "blocked" };

/** Reaches `to` for a link opened for `group`, with `/chat`'s key checks. */
export async function reachMember(ctx: RouteContext, to: Member, group: string): Promise<Reaching> {
  let entry: UserEntry | undefined;
  try {
    entry = await ctx.link.lookup(to.name);
  } catch (error) {
    if (!(error instanceof DirectoryError) && !(error instanceof DirectoryUnavailableError)) {
      throw error;
    }
  }
  const checked = checkMember(ctx.trust, to, entry, group);
  ctx.warn(checked.actions);
  if (checked.kind === "blocked") return { kind: "blocked" };
  if (checked.kind === "mail") return { kind: "offline" };
  const user = checked.user;
  let channel: SecureChannel;
  try {
    const reached = await reachPeer(user, {
      identity: ctx.identity,
      link: ctx.link,
      plan: ctx.policy.plan(user, ctx.clock()),
      signal: ctx.signal,
      onRelay: () => {},
    });
    ctx.policy.handle({ type: "reached", peer: user.peer, path: reached.path, at: ctx.clock() });
    channel = reached.channel;
  } catch (error) {
    if (!(error instanceof UnexpectedPeerKey)) return { kind: "offline" };
    const got = error.got.replaceAll(" ", "") as typeof to.fingerprint;
    ctx.warn(
      refusal(to.name, { admit: false, reason: "unexpected-key", expected: to.fingerprint, got }),
    );
    return { kind: "blocked" };
  }
  try {
    const version = ctx.version(group);
    await say(channel, { type: "hello", name: ctx.name, purpose: "group", group, version });
    const answer = await receiveWithin(channel, LINK_ANSWER_MS, "answer");
    if (answer.type === "accept") return { kind: "channel", channel };
  } catch {
    // Silent, gone, or no answer that decodes: as a decline.
  }
  // Declined (they do not hold us as a member, or are busy): mail then.
  channel.abort();
  return { kind: "offline" };
}

/** What finding an invitee needs of the client. */
export type InviteeContext = {
  readonly link: DirectoryLink;
  readonly trust: PeerTrust;
  /** Carries out the trust rules' actions, warnings to `out`. */
  apply(actions: readonly TrustAction[], out: EventSink): void;
};

/**
 * The invitee of /invite, checked as `/chat` would check them: the
 * directory's entry when they are online, else the key bound to the name
 * (kept with its prekey); either against the pin. Undefined after a warning.
 */
export async function findInvitee(
  ctx: InviteeContext,
  name: Name,
  out: EventSink,
): Promise<Member | undefined> {
  try {
    const entry = await ctx.link.lookup(name);
    const vetted = vetEntry(ctx.trust, entry, name);
    ctx.apply(vetted.actions, out);
    if (!vetted.value) return undefined;
    const user = vetted.value;
    const admission = admitListed(ctx.trust.pin(user.name), user.fingerprint);
    if (!admission.admit) return void ctx.apply(refusal(user.name, admission), out);
    // The entry passed its checks: its key is the one the fingerprint names.
    return member(user.name, PublicIdentity.fromRaw(fromBase64(entry.key)));
  } catch (error) {
    if (!(error instanceof DirectoryError) || error.code !== "not-found") throw error;
  }
  const answer = await ctx.link.prekey(name);
  let identity: PublicIdentity;
  let spelled: Name;
  try {
    identity = PublicIdentity.fromRaw(fromBase64(answer.key));
    spelled = parseName(answer.name);
    if (nameKey(spelled) !== nameKey(name)) throw new TypeError("another name");
  } catch {
    const warning = {
      type: "security-warning" as const,
      peer: name,
      reason: "directory-inconsistent" as const,
      expected: "",
      got: "",
      named: answer.name,
    };
    return void ctx.apply([{ type: "warn", warning }], out);
  }
  const vetted = vetKey(ctx.trust, spelled, identity.fingerprint, (named) => ({
    type: "security-warning",
    peer: spelled,
    reason: "directory-inconsistent",
    expected: identity.fingerprint,
    got: identity.fingerprint,
    problem: "key-of-another",
    named,
  }));
  ctx.apply(vetted.actions, out);
  return vetted.value ? member(spelled, identity) : undefined;
}
