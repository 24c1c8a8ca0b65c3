/**
 * A directory under the test's control, speaking the real protocol over the
 * real secure channel, that can lie: a hook rewrites what `lookup` and
 * `list` return. Used to prove that clients do not take its word for keys.
 *
 * @module
 */
import { decodeRequest, encodeMessage, type Reply, type UserEntry } from "../directory/mod.ts";
import { acceptChannel, connTransport, Identity, toBase64 } from "../crypto/mod.ts";

/** A running fake directory. */
export type FakeDirectory = {
  readonly port: number;
  readonly identity: Identity;
  /** Rewrites every user entry before it is sent; identity by default. */
  lie: (entry: UserEntry) => UserEntry;
  close(): void;
};

/** Starts a fake directory on 127.0.0.1. */
export function startFakeDirectory(): FakeDirectory {
  const identity = Identity.generate();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const users = new Map<string, UserEntry>();
  const conns = new Set<Deno.Conn>();
  const fake: FakeDirectory = {
    port: listener.addr.port,
    identity,
    lie: (entry) => entry,
    close(): void {
      listener.close();
      conns.forEach((c) => {
        try {
          c.close();
        } catch { /* closed */ }
      });
    },
  };
  (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        const channel = await acceptChannel(connTransport(conn), identity);
        let own: string | undefined;
        try {
          for await (const bytes of channel.messages()) {
            const request = decodeRequest(bytes);
            let reply: Reply;
            if (request.type === "register") {
              own = request.name.toLowerCase();
              users.set(own, {
                name: request.name,
                address: conn.remoteAddr.hostname,
                port: request.port,
                key: toBase64(channel.peer.key),
                fingerprint: channel.peer.fingerprint,
              });
              reply = {
                id: request.id,
                type: "registered",
                name: request.name,
                address: conn.remoteAddr.hostname,
                port: request.port,
              };
            } else if (request.type === "lookup") {
              const user = users.get(request.name.toLowerCase());
              reply = user
                ? { id: request.id, type: "user", user: fake.lie(user) }
                : { id: request.id, type: "error", code: "not-found", message: "not found" };
            } else if (request.type === "list") {
              reply = {
                id: request.id,
                type: "users",
                users: [...users.values()].map(fake.lie),
                more: false,
              };
            } else {
              reply = { id: request.id, type: request.type === "bye" ? "bye" : "pong" };
            }
            await channel.send(encodeMessage(reply));
          }
        } catch {
          // The client went away.
        } finally {
          if (own) users.delete(own);
          conns.delete(conn);
        }
      })().catch(() => {});
    }
  })().catch(() => {});
  return fake;
}

/** A TCP proxy on 127.0.0.1 that records every byte it forwards to `port`. */
export function startRecordingProxy(
  port: number,
): { port: number; recorded: Uint8Array[]; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const recorded: Uint8Array[] = [];
  const open = new Set<Deno.Conn>();
  (async () => {
    for await (const inbound of listener) {
      const outbound = await Deno.connect({ hostname: "127.0.0.1", port });
      open.add(inbound).add(outbound);
      const pump = async (from: Deno.Conn, to: Deno.Conn): Promise<void> => {
        const buffer = new Uint8Array(65536);
        try {
          for (let n = await from.read(buffer); n !== null; n = await from.read(buffer)) {
            recorded.push(buffer.slice(0, n));
            await to.write(buffer.subarray(0, n));
          }
        } catch { /* closed */ }
        try {
          to.close();
        } catch { /* closed */ }
      };
      pump(inbound, outbound);
      pump(outbound, inbound);
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    recorded,
    close(): void {
      listener.close();
      open.forEach((c) => {
        try {
          c.close();
        } catch { /* closed */ }
      });
    },
  };
}
