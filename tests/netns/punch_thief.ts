/**
 * A third party for the NAT test's punch: the test redirects both peers'
 * punching SYNs to it (an nft DNAT rule on the public side, as someone on
 * the path between the two NATs could), so each punched connection reaches
 * it instead of the peer. It runs the p2pchat handshake with a key of its
 * own in whichever role the other end leaves it (responder to a Commit
 * that arrives, initiator after 200 ms of silence), and reports for every
 * connection, as one JSON line, whether the handshake completed and how
 * many bytes of records it then heard. Runs until killed.
 *
 * Usage: punch_thief.ts HOST:PORT
 */
import {
  acceptChannel,
  connTransport,
  Identity,
  initiateChannel,
  type Transport,
} from "../../crypto/mod.ts";

/** How long the thief waits for the other end to speak before it speaks first. */
const SILENCE_MS = 200;

const [listen] = Deno.args;
const at = listen.lastIndexOf(":");
const listener = Deno.listen({ hostname: listen.slice(0, at), port: Number(listen.slice(at + 1)) });
const mallory = Identity.generate();
console.log(JSON.stringify({ ready: true, fingerprint: mallory.public.fingerprint }));

async function steal(conn: Deno.TcpConn): Promise<void> {
  const raw = connTransport(conn);
  // The first read stays the handshake's, whichever role the thief takes.
  let pending: Promise<Uint8Array | null> | undefined = raw.read();
  const spoke = await Promise.race([
    pending.then(() => true, () => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), SILENCE_MS)),
  ]);
  const transport: Transport = {
    read: (signal) => {
      const first = pending;
      pending = undefined;
      return first ?? raw.read(signal);
    },
    write: (bytes) => raw.write(bytes),
    close: () => raw.close(),
  };
  const report = {
    from: `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`,
    role: "",
    handshake: false,
    heard: 0,
  };
  report.role = spoke ? "responder" : "initiator";
  try {
    const channel = spoke
      ? await acceptChannel(transport, mallory, { handshakeTimeoutMs: 5_000 })
      : await initiateChannel(transport, mallory, { handshakeTimeoutMs: 5_000 });
    report.handshake = true;
    for (let bytes = await channel.receive(); bytes; bytes = await channel.receive()) {
      report.heard += bytes.length;
    }
  } catch {
    // Refused: what the peer closed on is all the thief gets.
  }
  transport.close();
  console.log(JSON.stringify(report));
}

for await (const conn of listener) steal(conn);
