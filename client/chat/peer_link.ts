/**
 * Reaching a peer (docs/protocol.md §10, §11): a direct connection to every
 * address the directory lists, raced against the directory's relay, and the
 * first words on whichever wins. Every path runs the same handshake,
 * demanding the key the directory listed; a wrong key is never a reason to
 * try another path.
 *
 * @module
 */
import {
  connTransport,
  type Fingerprint,
  HandshakeError,
  type Identity,
  initiateChannel,
  type SecureChannel,
  UnexpectedPeerKey,
} from "../../crypto/mod.ts";
import type { CheckedUser } from "../trust/mod.ts";
import type { AwaitedWord, Path } from "../core/mod.ts";
import type { DirectoryLink } from "../directory/mod.ts";
import { PeerUnreachableError } from "../core/mod.ts";
import type { PathPlan } from "./path_policy.ts";
import { abortable, Deadline, delay } from "../../async/mod.ts";
import { decodePeerMessage, encodePeerMessage, type PeerMessage } from "./peer_messages.ts";

/** How long direct attempts to the listed addresses go on before they give up. */
export const DIAL_TIMEOUT_MS = 3_000;
/** Delay between starting attempts to successive addresses ("happy eyeballs", RFC 8305 §5). */
export const DIAL_STAGGER_MS = 250;
/**
 * How long a direct attempt runs alone before the relay joins the race. A
 * direct path opens in a TCP round trip plus the handshake's 2.5 (~32 ms on
 * the NAT test's network, under 300 ms for round trips up to ~100 ms), so
 * most reachable peers still connect directly, and a peer behind a NAT that
 * drops the attempt is reached through the relay in about this long, not
 * DIAL_TIMEOUT_MS.
 */
export const RELAY_HEAD_START_MS = 300;

export { PeerUnreachableError };

/**
 * Connects to the first of `addresses` that answers on `port`, trying them in
 * parallel, each started DIAL_STAGGER_MS after the one before; gives up after
 * `timeoutMs`, or when `signal` aborts. The losers are closed.
 */
export async function dialAny(
  addresses: readonly string[],
  port: number,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Deno.TcpConn> {
  const timeoutMs = options.timeoutMs ?? DIAL_TIMEOUT_MS;
  if (addresses.length === 0) {
    throw new PeerUnreachableError({ code: "peer-unreachable", problem: "no-address" });
  }
  using deadline = Deadline.after(
    timeoutMs,
    () =>
      new PeerUnreachableError({
        code: "peer-unreachable",
        problem: "no-answer",
        port,
        ms: timeoutMs,
      }),
    options.signal,
  );
  // Aborted once a winner is found (or time is up): the losers' waits and connects stop.
  const done = new AbortController();
  const signal = AbortSignal.any([deadline.signal, done.signal]);
  const errors: string[] = [];
  const attempt = async (address: string, i: number): Promise<Deno.TcpConn> => {
    try {
      await delay(i * DIAL_STAGGER_MS, signal);
      return await Deno.connect({ hostname: address, port, signal });
    } catch (error) {
      errors.push(`${address}: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  };
  const attempts = addresses.map(attempt);
  let winner: Deno.TcpConn | undefined;
  try {
    winner = await Promise.any(attempts);
    return winner;
  } catch {
    if (deadline.signal.aborted) throw deadline.signal.reason;
    throw new PeerUnreachableError({
      code: "peer-unreachable",
      problem: "cannot-reach",
      port,
      causes: errors,
    });
  } finally {
    done.abort();
    // A loser that connected in the same instant as the winner is closed, not leaked.
    for (const settled of await Promise.allSettled(attempts)) {
      if (settled.status === "fulfilled" && settled.value !== winner) settled.value.close();
    }
  }
}

/** Reads one peer message within `ms`; throws PeerUnreachableError on timeout or close. */
export async function receiveWithin(
  channel: SecureChannel,
  ms: number,
  awaited: AwaitedWord,
): Promise<PeerMessage> {
  using deadline = Deadline.after(
    ms,
    () => new PeerUnreachableError({ code: "peer-unreachable", problem: "no-reply", awaited, ms }),
  );
  const bytes = await channel.receive(deadline.signal);
  if (bytes === null) {
    throw new PeerUnreachableError({ code: "peer-unreachable", problem: "closed-early", awaited });
  }
  return decodePeerMessage(bytes);
}

/** Sends one peer message. */
export function say(channel: SecureChannel, message: PeerMessage): Promise<void> {
  return channel.send(encodePeerMessage(message));
}

/** A direct channel to `user`, demanding `expected`: what both opening and upgrading use. */
export async function dialDirect(
  user: CheckedUser,
  identity: Identity,
  signal?: AbortSignal,
): Promise<SecureChannel> {
  const conn = await dialAny(user.addresses, user.port, { signal });
  return await initiateChannel(connTransport(conn), identity, {
    expectedPeer: user.fingerprint,
    signal,
  });
}

/** What reaching a peer gave: the channel (handshake done, nothing said yet) and how it travels. */
export type Reached = { channel: SecureChannel; path: Path; relayToken?: string };

/** Options for reachPeer(). */
export type ReachOptions = {
  /** Who we are. */
  identity: Identity;
  /** The directory, for the relay. */
  link: DirectoryLink;
  /** The paths to try (PathPolicy.plan). */
  plan: PathPlan;
  /** Called when the relay joins the race. */
  onRelay: () => void;
  /** Gives up (the user quit). */
  signal?: AbortSignal;
};

/**
 * Opens a channel to `user` (docs/protocol.md §11) along `plan`: directly,
 * to every listed address at once, and through the directory's relay after
 * RELAY_HEAD_START_MS (at once when the plan says so, or as soon as the
 * direct attempt fails). Whichever handshake completes first wins; the
 * other is cancelled. UnexpectedPeerKey on either path ends it all.
 */
export async function reachPeer(user: CheckedUser, options: ReachOptions): Promise<Reached> {
  const race = new AbortController();
  const stop = (): void => race.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", stop, { once: true });
  let wrongKey: UnexpectedPeerKey | undefined;
  const attempts: Promise<Reached>[] = [];
  const guard = (attempt: Promise<Reached>): Promise<Reached> =>
    attempt.catch((error) => {
      if (error instanceof UnexpectedPeerKey) {
        wrongKey ??= error;
        race.abort(error);
      }
      throw error;
    });
  let direct: Promise<Reached> | undefined;
  if (options.plan.direct) {
    direct = guard(
      dialDirect(user, options.identity, race.signal).then((channel) => ({
        channel,
        path: "direct" as const,
      })),
    );
    attempts.push(direct);
  }
  if (options.plan.relay !== "never") {
    attempts.push(guard((async () => {
      if (direct && options.plan.relay === "after-head-start") {
        // The head start ends early when the direct attempt fails outright (its failure is
        // reported by the race below, so it is not lost here).
        await abortable(
          Promise.race([delay(RELAY_HEAD_START_MS, race.signal), direct.catch(() => {})]),
          race.signal,
        );
      }
      options.onRelay();
      const relayToken = await abortable(options.link.relay(user.name), race.signal);
      // Files (issue 23): joined through the link, which counts the relay's bytes.
      const transport = await options.link.joinRelay(options.link.server, relayToken, race.signal);
      const channel = await initiateChannel(transport, options.identity, {
        expectedPeer: user.fingerprint,
        signal: race.signal,
      });
      return { channel, path: "relay" as const, relayToken };
    })()));
  }
  let winner: Reached;
  try {
    winner = await Promise.any(attempts);
  } catch (error) {
    if (wrongKey) throw wrongKey;
    if (options.signal?.aborted) throw options.signal.reason;
    const reasons = (error as AggregateError).errors ?? [error];
    const handshake = reasons.find((e) => e instanceof HandshakeError);
    throw handshake ?? reasons.at(-1);
  } finally {
    options.signal?.removeEventListener("abort", stop);
  }
  race.abort(new PeerUnreachableError({ code: "peer-unreachable", problem: "lost-race" }));
  // A loser that finished its handshake anyway is closed without a word: no hello on it. One
  // that failed has nothing to report: the race was won.
  for (const attempt of attempts) {
    attempt.then((other) => other.channel !== winner.channel && other.channel.abort(), () => {});
  }
  return winner;
}

/** A fingerprint-ordered tie-break: whether `mine`'s move wins over `theirs`' when both try at once. */
export function myMoveWins(mine: Fingerprint, theirs: Fingerprint): boolean {
  return mine < theirs;
}
