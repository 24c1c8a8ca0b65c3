/**
 * The client's side of a relayed connection: connect to the directory, join
 * with the token, wait for the partner, and hand back a plain transport that
 * the end-to-end handshake then runs over.
 *
 * @module
 */
import { abortable, Deadline, delay } from "../../async/mod.ts";
import {
  BUSY_LENGTH,
  connTransport,
  FrameType,
  fromHex,
  PeerBusy,
  readBusy,
  type Transport,
} from "../../crypto/mod.ts";
import { MIN_BACKOFF_MS } from "./backoff.ts";
import { joinFrame, readFirstFrame, RelayFrame } from "../../protocol/mod.ts";
import { DirectoryUnavailableError } from "../../protocol/mod.ts";
import { isIpLiteral } from "../trust/mod.ts";

/** How long a relay join waits for the other side. */
export const RELAY_JOIN_TIMEOUT_MS = 15_000;

/**
 * Joins the relay at `server` with `token`; resolves once both sides are
 * connected, within RELAY_JOIN_TIMEOUT_MS (or earlier, when `signal` aborts:
 * the connection is then closed and the call rejects with its reason).
 */
export async function joinRelay(
  server: { hostname: string; port: number },
  token: string,
  signal?: AbortSignal,
): Promise<Transport> {
  using deadline = Deadline.after(
    RELAY_JOIN_TIMEOUT_MS,
    () =>
      new DirectoryUnavailableError("timeout", "The relay did not connect the other side in time"),
    signal,
  );
  let transport: Transport | undefined;
  try {
    let ready;
    for (;;) {
      transport = connTransport(await Deno.connect({ ...server, signal: deadline.signal }));
      await transport.write(joinFrame(fromHex(token)));
      ready = await readFirstFrame(transport, BUSY_LENGTH, deadline.signal);
      if (ready === null || ready.frame.type !== FrameType.Busy) break;
      // A directory turning a crowd away answers before it reads the Join: come back when told
      // (within this join's own deadline), as to any Busy.
      const busy = readBusy(ready.frame, "relay join");
      transport.close();
      if (!(busy instanceof PeerBusy)) throw busy;
      await abortable(delay(Math.max(MIN_BACKOFF_MS, busy.retryAfterMs)), deadline.signal);
    }
    if (ready === null || ready.frame.type !== RelayFrame.Ready) {
      throw new DirectoryUnavailableError(
        "connection-lost",
        "The relay closed the connection before the other side joined",
      );
    }
    return ready.rest;
  } catch (error) {
    transport?.close();
    if (deadline.signal.aborted) throw deadline.signal.reason;
    if (error instanceof DirectoryUnavailableError) throw error;
    throw new DirectoryUnavailableError(
      "connection-lost",
      `The relay failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * Where to join a relay the directory offered at `relay` (`HOST:PORT`,
 * another instance of this directory): only an IP address or one of the
 * configured `servers`' hosts, so a directory cannot send a client to dial
 * any name it likes; undefined otherwise.
 */
export function relayAddress(
  relay: string,
  servers: readonly { hostname: string }[],
): { hostname: string; port: number } | undefined {
  const match = relay.match(/^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]+)):(\d{1,5})$/);
  if (!match) return undefined;
  const hostname = match[1] ?? match[2];
  const port = Number(match[3]);
  const known = servers.some((s) => s.hostname === hostname);
  if (port < 1 || port > 65535 || (!known && !isIpLiteral(hostname))) return undefined;
  return { hostname, port };
}
