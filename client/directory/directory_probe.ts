/**
 * Telling a p2pchat directory from whatever else answers on its port, and a
 * failed handshake with one from what actually happened. A directory's first
 * byte is always the handshake's Response frame, or Busy when it is over
 * capacity (docs/protocol.md §3), sent at once: anything else is `not-a-directory` as soon as it arrives (an SSH
 * banner, the `HTTP/1.1 400` a web server answers our first frame with), and
 * a server that says nothing within the bound given (a web server waiting
 * for a whole request, which our handshake never sends) is `timeout`. Nothing
 * extra is ever sent to find out.
 *
 * @module
 */
import { Deadline } from "../../async/mod.ts";
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  FrameType,
  HandshakeError,
  PeerBusy,
  type Transport,
  UnexpectedPeerKey,
  VersionMismatch,
} from "../../crypto/mod.ts";
import { DirectoryBusyError, DirectoryUnavailableError } from "../../protocol/mod.ts";

/** How much of a server's first line a `not-a-directory` message quotes. */
const MAX_QUOTED = 40;

/**
 * What the first bytes say, as a person can recognise them: the first line
 * of a text answer (printable ASCII only, cut to MAX_QUOTED), else the byte.
 */
export function describeAnswer(bytes: Uint8Array): string {
  const end = bytes.findIndex((b) => b === 0x0d || b === 0x0a);
  const line = bytes.subarray(0, Math.min(end < 0 ? bytes.length : end, MAX_QUOTED));
  const text = line.every((b) => b >= 0x20 && b < 0x7f) ? String.fromCharCode(...line) : "";
  if (text.startsWith("HTTP/")) return `"${text}", as a web server does`;
  if (text.startsWith("SSH-")) return `"${text}", as an SSH server does`;
  const byte = bytes[0];
  return byte >= 0x20 && byte < 0x7f
    ? `"${String.fromCharCode(byte)}"`
    : `byte 0x${byte.toString(16)}`;
}

/**
 * `transport`, failing with `not-a-directory` as soon as its first bytes are
 * not a handshake Response, and, with `withinMs`, with `timeout` when no
 * byte comes that soon.
 */
export function mustBeDirectory(transport: Transport, label: string, withinMs?: number): Transport {
  let checked = false;
  const silent = () =>
    new DirectoryUnavailableError(
      "timeout",
      `${label} accepted the connection but did not finish the handshake: it said nothing within ${
        Math.round((withinMs ?? 0) / 1000)
      } s, and a p2pchat directory answers at once (a web server waiting for a whole request does this)`,
    );
  return {
    async read(signal?: AbortSignal): Promise<Uint8Array | null> {
      if (checked || withinMs === undefined) return check(await transport.read(signal));
      using deadline = Deadline.after(withinMs, silent, signal);
      try {
        return check(await transport.read(deadline.signal));
      } catch (error) {
        if (deadline.signal.aborted && !signal?.aborted) throw deadline.signal.reason;
        throw error;
      }
    },
    write: (bytes) => transport.write(bytes),
    close: () => transport.close(),
  };

  function check(chunk: Uint8Array | null): Uint8Array | null {
    if (checked || chunk === null || chunk.length === 0) return chunk;
    checked = true;
    // A directory's first frame is its Response, or Busy when it is over capacity (§3).
    if (chunk[0] !== FrameType.Response && chunk[0] !== FrameType.Busy) {
      transport.close();
      throw new DirectoryUnavailableError(
        "not-a-directory",
        `${label} does not look like a p2pchat directory (it answered ${describeAnswer(chunk)})`,
      );
    }
    return chunk;
  }
}

/** Turns a failed handshake with a directory into what happened, for people. */
export function explainHandshakeFailure(
  error: unknown,
  label: string,
  timeoutMs?: number,
): unknown {
  if (error instanceof UnexpectedPeerKey || error instanceof VersionMismatch) return error;
  if (error instanceof PeerBusy) {
    return new DirectoryBusyError(label, error.retryAfterMs, { cause: error });
  }
  if (error instanceof HandshakeError) {
    const cause = error.cause;
    if (cause instanceof DirectoryUnavailableError) return cause;
    switch (error.code) {
      case "handshake-timeout":
        return new DirectoryUnavailableError(
          "timeout",
          `${label} accepted the connection but did not finish the handshake within ${
            Math.round((timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS) / 1000)
          } s`,
          { cause: error },
        );
      case "connection-closed":
        return new DirectoryUnavailableError(
          "connection-lost",
          `${label} closed the connection during the handshake (it may be busy); try again`,
          { cause: error },
        );
      default:
        return new DirectoryUnavailableError(
          "not-a-directory",
          `${label} does not look like a p2pchat directory (${error.message})`,
          { cause: error },
        );
    }
  }
  return error;
}
