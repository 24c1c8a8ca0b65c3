/**
 * The three transports compared by the benchmark, behind one small interface:
 * raw TCP, Deno's TLS 1.3, and the p2pchat channel. Each has an echo
 * listener and a sink listener (which answers byte 0x02 whenever a chunk
 * holds the end marker 0x01).
 *
 * @module
 */
import {
  acceptChannel,
  connTransport,
  type Fingerprint,
  Identity,
  initiateChannel,
  type SecureChannel,
} from "../crypto/mod.ts";

/** Transport names, in table order. */
export const TRANSPORTS = ["tcp", "tls", "p2pchat"] as const;
export type TransportName = typeof TRANSPORTS[number];

/** A client connection: write bytes, read whatever arrives next. */
export interface BenchConn {
  write(bytes: Uint8Array): Promise<void>;
  read(): Promise<Uint8Array | null>;
  close(): void;
}

/** Where the bench server listens, per transport and mode. */
export type ServerPorts = Record<TransportName, { echo: number; sink: number }> & {
  fingerprint: Fingerprint;
};

const FIXTURES = new URL("./fixtures/", import.meta.url);
const END = 0x01;
const ACK = new Uint8Array([0x02]);

/** Reads the throwaway TLS certificate shipped for the bench. */
export async function tlsFiles(): Promise<{ ca: string; cert: string; key: string }> {
  return {
    ca: await Deno.readTextFile(new URL("tls_ca.pem", FIXTURES)),
    cert: await Deno.readTextFile(new URL("tls_cert.pem", FIXTURES)),
    key: await Deno.readTextFile(new URL("tls_key.pem", FIXTURES)),
  };
}

function streamConn(conn: Deno.Conn): BenchConn {
  const buffer = new Uint8Array(128 * 1024);
  return {
    async write(bytes) {
      for (let n = 0; n < bytes.length;) n += await conn.write(bytes.subarray(n));
    },
    async read() {
      const n = await conn.read(buffer);
      return n === null ? null : buffer.subarray(0, n);
    },
    close() {
      try {
        conn.close();
      } catch { /* closed */ }
    },
  };
}

function channelConn(channel: SecureChannel): BenchConn {
  return {
    write: (bytes) => channel.send(bytes),
    read: () => channel.receive().catch(() => null),
    close: () => void channel.close(),
  };
}

/** Opens a client connection to `port` over `transport`. */
export async function dialBench(
  transport: TransportName,
  port: number,
  context: { caCert: string; identity: Identity; fingerprint: Fingerprint },
): Promise<BenchConn> {
  if (transport === "tcp") {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return streamConn(conn);
  }
  if (transport === "tls") {
    const conn = await Deno.connectTls({ hostname: "localhost", port, caCerts: [context.caCert] });
    await conn.handshake();
    return streamConn(conn);
  }
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  return channelConn(
    await initiateChannel(connTransport(conn), context.identity, {
      expectedPeer: context.fingerprint,
    }),
  );
}

async function serveConn(conn: BenchConn, mode: "echo" | "sink"): Promise<void> {
  try {
    for (let chunk = await conn.read(); chunk !== null; chunk = await conn.read()) {
      if (mode === "echo") await conn.write(chunk.slice());
      else if (chunk.includes(END)) await conn.write(ACK);
    }
  } catch {
    // Client went away.
  } finally {
    conn.close();
  }
}

/** Starts echo and sink listeners for every transport; returns their ports. */
export async function startBenchServers(): Promise<ServerPorts> {
  const { cert, key } = await tlsFiles();
  const identity = Identity.generate();
  const ports: Partial<ServerPorts> = { fingerprint: identity.public.fingerprint };
  for (const transport of TRANSPORTS) {
    const entry = { echo: 0, sink: 0 };
    for (const mode of ["echo", "sink"] as const) {
      if (transport === "tls") {
        const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
        entry[mode] = listener.addr.port;
        (async () => {
          for await (const conn of listener) serveConn(streamConn(conn), mode);
        })();
      } else {
        const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        entry[mode] = listener.addr.port;
        (async () => {
          for await (const conn of listener) {
            if (transport === "tcp") {
              conn.setNoDelay(true);
              serveConn(streamConn(conn), mode);
            } else {
              acceptChannel(connTransport(conn), identity).then(
                (c) => serveConn(channelConn(c), mode),
                () => {},
              );
            }
          }
        })();
      }
    }
    (ports as Record<string, unknown>)[transport] = entry;
  }
  return ports as ServerPorts;
}
