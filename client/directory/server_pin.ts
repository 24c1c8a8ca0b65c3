/**
 * The directory's key, pinned on first contact (trust on first use) or given
 * with --server-key: a connection demands it, an instance that proves another
 * key is refused with ServerKeyError, and a new instance's key is pinned.
 *
 * @module
 */
import { type Fingerprint, UnexpectedPeerKey } from "../../crypto/mod.ts";
import { ServerKeyError } from "../core/mod.ts";
import type { PinFile } from "../trust/mod.ts";
import { DirectoryClient } from "./directory_client.ts";
import { hostPortLabel } from "./directory_dial.ts";
import type { DirectoryClientOptions } from "./directory_options.ts";

/** Where the directory's keys are pinned, and which key --server-key demands. */
export type ServerPinning = {
  /** Instances of one directory (one key for all). */
  readonly servers: readonly { hostname: string; port: number }[];
  readonly pins: PinFile;
  readonly serverKey?: Fingerprint;
};

/** The key to demand: --server-key, else the one pinned for any of the servers. */
export function demandedKey(pinning: ServerPinning): Fingerprint | undefined {
  if (pinning.serverKey) return pinning.serverKey;
  for (const server of pinning.servers) {
    const pinned = pinning.pins.get(hostPortLabel(server))?.fingerprint;
    if (pinned) return pinned;
  }
  return undefined;
}

/**
 * Connects to `server` demanding the directory's key; pins it for this
 * instance when none is. `pinned`: the key was taken on first contact
 * (trust on first use: neither given nor pinned for any instance), which
 * the user should be told. Throws ServerKeyError when the instance proves
 * another key.
 */
export async function connectPinned(
  server: { hostname: string; port: number },
  options: Omit<DirectoryClientOptions, "expectedServer">,
  pinning: ServerPinning,
): Promise<{ client: DirectoryClient; pinned: boolean }> {
  const { pins, serverKey } = pinning;
  const label = hostPortLabel(server);
  const demanded = demandedKey(pinning);
  let client: DirectoryClient;
  try {
    client = await DirectoryClient.connect(server, { ...options, expectedServer: demanded });
  } catch (error) {
    if (!(error instanceof UnexpectedPeerKey)) throw error;
    const got = error.got.replaceAll(" ", "");
    throw new ServerKeyError(
      serverKey
        ? {
          code: "server-key-mismatch",
          problem: "server-key-not-given",
          server: label,
          got,
          given: serverKey,
        }
        : {
          code: "server-key-mismatch",
          problem: "server-key-changed",
          server: label,
          got,
          pinned: demanded!,
          file: pins.path,
        },
    );
  }
  if (pins.get(label) !== undefined) return { client, pinned: false };
  await pins.set(label, {
    fingerprint: client.server.fingerprint,
    verified: serverKey !== undefined,
  });
  return { client, pinned: !serverKey && demanded === undefined };
}
