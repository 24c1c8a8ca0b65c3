/**
 * An attacker for tests: silent TCP connections from many loopback source
 * addresses (127.0.x.y, through node:net's localAddress, which Deno.connect
 * lacks), each renewed as soon as the server closes it, to keep a
 * directory's handshake slots full. Bounded: `addresses` × `perAddress`
 * sockets at most, until stop().
 *
 * @module
 */
import net from "node:net";

/** A running flood. */
export type Flood = {
  /** Connections the server closed (and the flood renewed). */
  readonly renewed: () => number;
  /** Stops renewing and closes every socket. */
  stop(): Promise<void>;
};

/** Starts `perAddress` silent connections from each of `addresses` source addresses to `port`. */
export function startFlood(
  port: number,
  options: { addresses: number; perAddress: number; subnet?: number },
): Flood {
  const sockets = new Set<net.Socket>();
  let stopped = false;
  let renewed = 0;
  const open = (source: string): void => {
    if (stopped) return;
    const socket = net.connect({ host: "127.0.0.1", port, localAddress: source });
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => {
      sockets.delete(socket);
      if (stopped) return;
      renewed++;
      // Renew at once, as an attacker would (a small delay keeps the test's CPU sane).
      setTimeout(() => open(source), 5);
    });
  };
  const subnet = options.subnet ?? 77;
  for (let a = 1; a <= options.addresses; a++) {
    for (let i = 0; i < options.perAddress; i++) open(`127.0.${subnet}.${a}`);
  }
  return {
    renewed: () => renewed,
    async stop(): Promise<void> {
      stopped = true;
      const closing = [...sockets].map((socket) =>
        new Promise<void>((resolve) => {
          socket.once("close", () => resolve());
          socket.destroy();
        })
      );
      await Promise.all(closing);
    },
  };
}
