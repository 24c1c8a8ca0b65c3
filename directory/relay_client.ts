/**
 * The client's side of a relayed connection: connect to the directory, join
 * with the token, wait for the partner, and hand back a plain transport that
 * the end-to-end handshake then runs over.
 *
 * @module
 */
import { connTransport, fromHex, type Transport } from "../crypto/mod.ts";
import { joinFrame, readFirstFrame, RelayFrame } from "./relay_frames.ts";
import { DirectoryUnavailableError } from "./errors.ts";

/** How long a relay join waits for the other side. */
export const RELAY_JOIN_TIMEOUT_MS = 15_000;

/** Joins the relay at `server` with `token`; resolves once both sides are connected. */
export async function joinRelay(
  server: { hostname: string; port: number },
  token: string,
): Promise<Transport> {
  const conn = await Deno.connect(server);
  const transport = connTransport(conn);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) =>
    timer = setTimeout(() => resolve(null), RELAY_JOIN_TIMEOUT_MS)
  );
  try {
    await transport.write(joinFrame(fromHex(token)));
    const ready = await Promise.race([readFirstFrame(transport, 0), timeout]);
    if (ready === null || ready.frame.type !== RelayFrame.Ready) {
      throw new DirectoryUnavailableError(
        "connection-lost",
        "The relay did not connect the other side in time",
      );
    }
    return ready.rest;
  } catch (error) {
    transport.close();
    if (error instanceof DirectoryUnavailableError) throw error;
    throw new DirectoryUnavailableError(
      "connection-lost",
      `The relay failed: ${(error as Error).message}`,
    );
  } finally {
    clearTimeout(timer);
  }
}
