/**
 * Failover across the instances of one directory: one pass over them, from
 * the one in use, skipping those that proved a wrong key; and how long
 * start-up waits before the next pass.
 *
 * @module
 */
import { DirectoryBusyError, DirectoryUnavailableError } from "../../protocol/mod.ts";
import { ServerKeyError } from "../core/mod.ts";
import { backoffMs, busyDelayMs } from "./backoff.ts";
import type { DirectoryClient } from "./directory_client.ts";

/** What one pass over the instances gave; `fresh`: the first wrong key it met. */
export type Pass =
  | {
    readonly kind: "up";
    readonly client: DirectoryClient;
    readonly at: number;
    readonly fresh?: ServerKeyError;
  }
  | { readonly kind: "failed"; readonly last: unknown; readonly fresh?: ServerKeyError };

/**
 * Tries the `count` instances in turn from `start`; one that proves a wrong
 * key goes in `wrongKey` and is never tried again (the others may still serve).
 */
export async function tryInstances(
  count: number,
  start: number,
  wrongKey: Map<number, ServerKeyError>,
  connectTo: (at: number) => Promise<DirectoryClient>,
): Promise<Pass> {
  let last: unknown;
  let fresh: ServerKeyError | undefined;
  for (let i = 0; i < count; i++) {
    const at = (start + i) % count;
    if (wrongKey.has(at)) continue;
    try {
      return { kind: "up", client: await connectTo(at), at, fresh };
    } catch (error) {
      if (!(error instanceof ServerKeyError)) last = error;
      else {
        wrongKey.set(at, error);
        fresh ??= error;
      }
    }
  }
  return { kind: "failed", last, fresh };
}

/**
 * How long start-up waits after failed pass number `attempt`, or undefined
 * to give up: told Busy, when told (however long start-up takes: Ctrl-C
 * still quits); hung up on (an overloaded directory), with backoff until
 * `deadline`; anything else, not at all.
 */
export function startupWait(
  last: unknown,
  attempt: number,
  retryForMs: number,
  deadline: number,
): { readonly ms: number; readonly busy: boolean } | undefined {
  if (last instanceof DirectoryBusyError && retryForMs > 0) {
    return { ms: busyDelayMs(last.retryAfterMs), busy: true };
  }
  const hungUp = last instanceof DirectoryUnavailableError && last.code === "connection-lost";
  const ms = backoffMs(attempt);
  return hungUp && Date.now() + ms <= deadline ? { ms, busy: false } : undefined;
}
