/**
 * Why `serve` cannot listen, in the words of the flag that chose the
 * address (`--port 7447 is in use`, `--host 10.9.9.9: not an address of
 * this machine`, `--metrics 127.0.0.1:9447 …`), as `connect --listen` says it.
 *
 * @module
 */
import { errorMessage } from "../errors/mod.ts";
import { ListenError } from "./state/mod.ts";

/** Ports below this need privileges on most systems. */
const FIRST_UNPRIVILEGED_PORT = 1024;

/** What was being listened for: the directory itself (`--host`, `--port`) or `--metrics`. */
export type Listening = "directory" | "metrics";

/** `HOST:PORT`, with brackets around an IPv6 host. */
function hostPort(hostname: string, port: number): string {
  return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

/**
 * The ListenError for a failed listen on `hostname:port`, naming the flag
 * to change and how.
 */
export function listenFailure(
  what: Listening,
  address: { hostname: string; port: number },
  error: unknown,
): ListenError {
  const { hostname, port } = address;
  const where = hostPort(hostname, port);
  const metrics = what === "metrics";
  const portFlag = metrics ? `--metrics ${where}` : `--port ${port}`;
  const hostFlag = metrics ? `--metrics ${where}` : `--host ${hostname}`;
  const change = metrics ? "--metrics" : "--port";
  let message: string;
  if (error instanceof Deno.errors.AddrInUse) {
    message = `${portFlag} is in use${metrics ? "" : ` on ${hostname}`} (another program ` +
      `listens there): stop it or choose another ${change}`;
  } else if (error instanceof Deno.errors.AddrNotAvailable) {
    message = `${hostFlag}: ${metrics ? `${hostname} is ` : ""}not an address of this machine; ` +
      `give one of its addresses, or ${metrics ? "127.0.0.1" : "0.0.0.0 for all of them"}`;
  } else if (error instanceof Deno.errors.PermissionDenied && port < FIRST_UNPRIVILEGED_PORT) {
    message = `${portFlag}: permission denied: ports below ${FIRST_UNPRIVILEGED_PORT} need ` +
      `privileges (CAP_NET_BIND_SERVICE); choose a port from ${FIRST_UNPRIVILEGED_PORT} on`;
  } else if (/lookup address/i.test(errorMessage(error))) {
    message = `${hostFlag}: ${metrics ? `${hostname} ` : ""}does not resolve to an address ` +
      "of this machine; give an IP address";
  } else {
    message = `Cannot listen on ${where} (${metrics ? "--metrics" : "--host, --port"}): ${
      errorMessage(error)
    }`;
  }
  return new ListenError("listen-failed", message, { cause: error });
}
