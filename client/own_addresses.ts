/**
 * The addresses a client announces besides the one the directory sees: its
 * own interfaces, so that two peers behind the same NAT (or on one LAN) can
 * reach each other directly.
 *
 * @module
 */
import { MAX_ANNOUNCED_ADDRESSES } from "../protocol/mod.ts";

/** Own addresses for `--listen HOST`: HOST itself if specific, else the non-loopback IPv4 interfaces. */
export function ownAddresses(listenHost: string): string[] {
  if (listenHost !== "0.0.0.0" && listenHost !== "::") return [listenHost];
  try {
    return Deno.networkInterfaces()
      .filter((i) => i.family === "IPv4" && !i.address.startsWith("127."))
      .map((i) => i.address)
      .slice(0, MAX_ANNOUNCED_ADDRESSES);
  } catch {
    // Not permitted (--allow-sys=networkInterfaces) or not supported: the observed address still works.
    return [];
  }
}
