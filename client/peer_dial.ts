/**
 * Reaching the peer a `/chat` asks for (docs/protocol.md §10, §11): the
 * directory's entry for the name, checked; the pin's word on the key it
 * lists; the paths the path policy plans; the race itself; and then the
 * answer to the hello, awaited. Each decision is a rule's (trust rules, path
 * policy); this file does the I/O between them.
 *
 * @module
 */
import { type Fingerprint, type Identity, UnexpectedPeerKey } from "../crypto/mod.ts";
import type { Name } from "../protocol/mod.ts";
import {
  type DeclineReason,
  type GossipCheckpoint,
  type PathPolicy,
  randomId,
  reachPeer,
  receiveWithin,
  REQUEST_TIMEOUT_MS,
  type RequestInfo,
} from "./chat/mod.ts";
import type { EventSink } from "./core/mod.ts";
import type { DirectoryLink } from "./directory/mod.ts";
import { admitListed, refusal, type TrustAction, type TrustView, vetEntry } from "./trust/mod.ts";
import type { Link } from "./peer_door.ts";

/** What a dial needs of the client. */
export type DialContext = {
  readonly identity: Identity;
  readonly link: DirectoryLink;
  readonly trust: TrustView;
  readonly policy: PathPolicy;
  readonly clock: () => number;
  /** Gives up every dial (the user quit). */
  readonly signal: AbortSignal;
  /** Carries out the trust rules' actions, reporting to `out`. */
  apply(actions: readonly TrustAction[], out: EventSink): void;
};

/**
 * Looks `asked` up and reaches them: the request's info with the channel
 * (handshake done, nothing said), or undefined after a warning to `out`.
 * Throws what the command should fail with (not found, unreachable, …).
 */
export async function dialPeer(
  asked: Name,
  ctx: DialContext,
  out: EventSink,
): Promise<RequestInfo<Link> | undefined> {
  const vetted = vetEntry(ctx.trust, await ctx.link.lookup(asked), asked);
  ctx.apply(vetted.actions, out);
  const user = vetted.value;
  if (!user) return undefined;
  const admission = admitListed(ctx.trust.pin(user.name), user.fingerprint);
  if (!admission.admit) return void ctx.apply(refusal(user.name, admission), out);
  try {
    const reached = await reachPeer(user, {
      identity: ctx.identity,
      link: ctx.link,
      plan: ctx.policy.plan(user, ctx.clock()),
      signal: ctx.signal,
      onRelay: () =>
        out.emit({ type: "notice", notice: { code: "relay-fallback", peer: user.name } }),
    });
    ctx.policy.handle({ type: "reached", peer: user.peer, path: reached.path, at: ctx.clock() });
    return {
      name: user.name,
      fingerprint: user.fingerprint,
      known: admission.status,
      path: reached.path,
      sas: reached.channel.sas,
      chatId: randomId(),
      relayToken: reached.relayToken,
      link: { channel: reached.channel, punch: { peer: false } },
    };
  } catch (error) {
    if (!(error instanceof UnexpectedPeerKey)) throw error;
    const got = error.got.replaceAll(" ", "") as Fingerprint;
    ctx.apply(
      refusal(user.name, {
        admit: false,
        reason: "unexpected-key",
        expected: user.fingerprint,
        got,
      }),
      out,
    );
    return undefined;
  }
}

/**
 * The answer to our hello on `link`, within REQUEST_TIMEOUT_MS: accept, or
 * why not (anything else, or nothing, counts as `timeout`). An accept that
 * says the peer can punch is noted on the link (§11.2); the checkpoint an
 * accept hands us goes to `gossip` (key transparency, §15.7).
 */
export async function awaitAnswer(
  link: Link,
  gossip?: (theirs: GossipCheckpoint) => void,
): Promise<"accept" | DeclineReason> {
  try {
    const answer = await receiveWithin(link.channel, REQUEST_TIMEOUT_MS, "answer");
    if (answer.type === "accept") {
      if (link.punch) link.punch.peer = answer.punch === true;
      if (answer.log) gossip?.(answer.log);
      return "accept";
    }
    return answer.type === "decline" ? answer.reason : "timeout";
  } catch {
    // Closed, cut or silent: the request is over either way, as unanswered.
    return "timeout";
  }
}
