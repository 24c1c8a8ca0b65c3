/**
 * The door for incoming peer connections (docs/protocol.md §10, §10.1): the
 * handshake and the hello within PEER_ADMISSION_MS, the directory's word for
 * the name claimed, checked, and the trust decision on the key proven. A
 * connection that names an open relayed chat (`resume`) is handed to the
 * path upgrader; anything else that does not hold up is declined, warned
 * about where the user would want to know, and never shown as a request.
 *
 * @module
 */
import { Deadline } from "../async/mod.ts";
import { sourceBlock } from "../admission/mod.ts";
import {
  acceptChannel,
  type Fingerprint,
  type Identity,
  type SecureChannel,
  type Transport,
} from "../crypto/mod.ts";
import {
  DirectoryError,
  DirectoryUnavailableError,
  type Name,
  nameKey,
  parseName,
} from "../protocol/mod.ts";
import {
  decodePeerMessage,
  encodePeerMessage,
  type GateTicket,
  type GossipCheckpoint,
  PEER_ADMISSION_MS,
  type PeerMessage,
} from "./chat/mod.ts";
import type { KeyStatus, Path } from "./core/mod.ts";
import type { DirectoryLink } from "./directory/mod.ts";
import {
  admitProven,
  type CheckedUser,
  isSelfPeer,
  refusal,
  type TrustAction,
  type TrustView,
  vetEntry,
} from "./trust/mod.ts";

/** The shell's side of a request: the channel to the peer, and the read watching it. */
export type Link = {
  readonly channel: SecureChannel;
  /** Incoming: the receive that watches the request (and becomes the chat's first read). */
  readonly firstRead?: Promise<Uint8Array | null>;
  /**
   * Hole punching (§11.2): whether the peer said it can punch (in its hello,
   * or in its accept, learnt once the answer came).
   */
  readonly punch?: { peer: boolean };
};

/** How an incoming connection came: its path, its place at the gate, the relay offer if any. */
export type Arrival = {
  readonly path: Path;
  readonly ticket: GateTicket;
  /** The source network of a direct connection. */
  readonly source?: string;
  readonly offer?: { readonly from: string; readonly token: string };
};

/** A peer connection that passed admission: who it is and what it sent with its hello. */
export type Admitted = {
  readonly name: Name;
  readonly channel: SecureChannel;
  readonly fingerprint: Fingerprint;
  readonly known: KeyStatus;
  readonly chatId?: string;
  /** Where the request counts against the per-source bound: the address block it came from. */
  readonly source: string;
  /** Hole punching: the peer's hello said it can punch (§11.2). */
  readonly punch: boolean;
};

/** What the door needs of the client. */
export type DoorContext = {
  readonly identity: Identity;
  readonly link: DirectoryLink;
  readonly trust: TrustView;
  /** Carries out the trust rules' actions (warnings shown, changed keys noted). */
  apply(actions: readonly TrustAction[]): void;
  /** A `resume` for the open chat with `name`: the path upgrader's to decide. */
  resume(name: string, channel: SecureChannel, hello: PeerMessage): void;
  /** Groups (issue 24): a group link, vetted; the groups decide (none: it is declined). */
  group?(
    arrival: {
      name: Name;
      channel: SecureChannel;
      known: KeyStatus;
      group: string;
      version: number;
    },
  ): void;
  /** Key transparency (§15.7): the checkpoint an admitted peer handed us, to reconcile. */
  gossip?(peer: string, theirs: GossipCheckpoint): void;
};

/** Declines on `channel` and closes it. */
export function decline(channel: SecureChannel, reason: "security" | "busy"): void {
  // A peer gone already needs no answer: the channel closes either way.
  channel.send(encodePeerMessage({ type: "decline", reason })).catch(() => {})
    .finally(() => channel.close());
}

/**
 * Admits one connection: undefined when it is not a p2pchat peer, was handed
 * on (a resume), or was refused. Throws only what the caller should report.
 */
export async function admitPeer(
  transport: Transport,
  arrival: Arrival,
  ctx: DoorContext,
): Promise<Admitted | undefined> {
  const offeredBy = arrival.offer?.from;
  let channel: SecureChannel;
  let hello: PeerMessage | null;
  {
    // One bound from the first byte to the hello: a connection that never speaks gives its
    // place at the gate back within PEER_ADMISSION_MS.
    using deadline = Deadline.after(PEER_ADMISSION_MS, () => new Error("admission timed out"));
    try {
      channel = await acceptChannel(transport, ctx.identity, {
        signal: deadline.signal,
        handshakeTimeoutMs: PEER_ADMISSION_MS,
      });
    } catch {
      return undefined; // Not a p2pchat peer, or an attack: nothing to tell the user.
    }
    // A hello that does not come, or does not decode, is refused just below.
    hello = await channel.receive(deadline.signal).then(
      (bytes) => bytes === null ? null : decodePeerMessage(bytes),
      () => null,
    ).catch(() => null);
  }
  if (hello?.type === "resume" && offeredBy === undefined) {
    // A direct connection that is to carry an open relayed chat: the chat's key decides.
    ctx.resume(hello.name, channel, hello);
    return undefined;
  }
  let claimed: Name;
  try {
    if (hello?.type !== "hello") throw new TypeError("no hello");
    claimed = parseName(hello.name);
  } catch {
    channel.abort();
    return undefined;
  }
  const proven = channel.peer.fingerprint;
  // Yourself (your own name, or your own key): never a peer to show or to pin.
  if (isSelfPeer(ctx.trust, claimed, proven)) return void decline(channel, "security");
  if (offeredBy !== undefined && offeredBy.toLowerCase() !== nameKey(claimed)) {
    ctx.apply([{
      type: "warn",
      warning: {
        type: "security-warning",
        peer: claimed,
        reason: "relay-mismatch",
        expected: "",
        got: proven,
        named: offeredBy,
      },
    }]);
    return void decline(channel, "security");
  }
  let user: CheckedUser | undefined;
  try {
    const vetted = vetEntry(ctx.trust, await ctx.link.lookup(claimed), claimed);
    ctx.apply(vetted.actions);
    if (!vetted.value) return void decline(channel, "security");
    user = vetted.value;
  } catch (error) {
    // Unlisted, or the directory is away: only a pin can vouch for the peer then.
    if (!(error instanceof DirectoryError) && !(error instanceof DirectoryUnavailableError)) {
      throw error;
    }
  }
  // One name from here on: the directory's spelling of the name checked, else the claim.
  const name = user?.name ?? claimed;
  const decision = admitProven("responder", ctx.trust.pin(name), user?.fingerprint, proven);
  if (!decision.admit) {
    ctx.apply(refusal(name, decision));
    return void decline(channel, "security");
  }
  // Groups (issue 24): a group link is never a request: the groups admit or decline it.
  if (hello.purpose === "group" && hello.group !== undefined) {
    if (!ctx.group) return void decline(channel, "security");
    const { group, version = 0 } = hello;
    return void ctx.group({ name, channel, known: decision.status, group, version });
  }
  if (hello.log) ctx.gossip?.(name, hello.log);
  return {
    name,
    channel,
    fingerprint: proven,
    known: decision.status,
    chatId: hello.chat,
    // A relayed request counts against the address the directory sees its sender at.
    source: arrival.source ?? (user ? sourceBlock(user.address) : `relay:${nameKey(name)}`),
    punch: hello.punch === true,
  };
}
