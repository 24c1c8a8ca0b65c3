/**
 * File descriptors: how many this process may still open, the default
 * --max-clients that stays below that, and telling an accept that failed
 * for want of one from any other failure.
 *
 * @module
 */

/** Descriptors kept back from --max-clients for the listener, the store, metrics and logs. */
export const RESERVED_DESCRIPTORS = 256;
/** Beyond this many free descriptors the probe stops counting. */
const DESCRIPTOR_PROBE_CAP = 65_536;

/**
 * How many more files this process may open now, or null where that cannot be
 * told. Reads the soft limit from /proc when allowed (Deno asks for
 * --allow-all there); otherwise counts by opening /dev/null until EMFILE,
 * which takes ~0.2 s for 20,000 and is done once, at start.
 */
export function freeDescriptors(): number | null {
  try {
    const limits = Deno.readTextFileSync("/proc/self/limits");
    const match = limits.match(/^Max open files\s+(\d+)/m);
    if (match) return Number(match[1]);
  } catch {
    // Not permitted or not Linux: count instead.
  }
  if (Deno.build.os === "windows") return null;
  const files: Deno.FsFile[] = [];
  try {
    while (files.length < DESCRIPTOR_PROBE_CAP) files.push(Deno.openSync("/dev/null"));
  } catch {
    // EMFILE: the count is what we have.
  } finally {
    for (const file of files) file.close();
  }
  return files.length > 0 ? files.length : null;
}

/** A default for --max-clients that stays below the descriptor limit. */
export function defaultMaxClients(): number {
  const free = freeDescriptors();
  return free === null ? 1000 : Math.max(16, free - RESERVED_DESCRIPTORS);
}

/** Why `accept` failed: out of descriptors (EMFILE, ENFILE), or anything else. */
export function acceptFailureReason(error: unknown): "out-of-descriptors" | "accept-error" {
  const message = error instanceof Error ? error.message : String(error);
  return /too many open files|EMFILE|ENFILE/i.test(message) ? "out-of-descriptors" : "accept-error";
}
