/**
 * A session's `relay` request: the offer of a relayed chat to a peer, on
 * this instance or another, and the token both sides join with.
 *
 * @module
 */
import {
  DirectoryError,
  isLegacyName,
  type Name,
  parseName,
  type Reply,
  type Request,
} from "../protocol/mod.ts";
import type { Session, SessionContext } from "./session.ts";

/** A name to look up: one that follows the rules, or one bound before them (lookups bind nothing). */
export function lookupName(text: string): Name {
  return isLegacyName(text) ? text : parseName(text);
}

/**
 * Offers a relayed chat from `session` (registered as `name`) to the peer
 * `request` names, and answers with the token. Both join here, on the
 * initiator's instance: a peer on another instance gets the offer through
 * the store, with this instance's address. Throws `not-found` for a peer
 * not online (or the asker itself).
 */
export async function offerRelay(
  ctx: SessionContext,
  session: Session,
  name: string,
  request: Extract<Request, { type: "relay" }>,
): Promise<Reply> {
  const { id, peer } = request;
  const target = await ctx.directory.locate(lookupName(peer));
  if (!target || ("local" in target && target.local === session)) {
    throw new DirectoryError("not-found", `Nobody called ${peer} is online`);
  }
  // Files (issue 23): both ends learn the relay's byte budget, to refuse a file that won't fit.
  const budget = ctx.relay.maxBytes;
  if ("local" in target) {
    const token = ctx.relay.offer(session, target.local);
    target.local.notify({ type: "relay-offer", from: name, token, budget });
    ctx.log.event("relay-offered", { session: session.id, to: target.local.id });
    return { id, type: "relay-token", token, budget };
  }
  const token = ctx.relay.offer(session, ctx.relay.remoteEnd(target.remote.key));
  try {
    await ctx.directory.offerRemote(target.remote, {
      from: name,
      token,
      relay: ctx.advertise,
      budget,
    });
  } catch (error) {
    ctx.relay.cancel(token);
    throw error;
  }
  ctx.log.event("relay-offered", { session: session.id, to: target.remote.instance });
  return { id, type: "relay-token", token, budget };
}
