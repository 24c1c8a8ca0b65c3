/**
 * A directory under the test's control, speaking the real protocol over the
 * real secure channel, that can lie: hooks rewrite what `lookup` and `list`
 * return, and it can send relay offers of its own making and pair relay
 * connections as the real one does. Used to prove that clients do not take
 * its word for names, keys or offers.
 *
 * @module
 */
import { FakeLog } from "./fake_log.ts";
import {
  acceptChannel,
  connTransport,
  fromBase64,
  Identity,
  prefixedTransport,
  type SecureChannel,
  toBase64,
  toHex,
  type Transport,
} from "../crypto/mod.ts";
import {
  decodeRequest,
  encodeMessage,
  type Notice,
  readFirstFrame,
  READY_FRAME,
  RelayFrame,
  type Reply,
  type Request,
  TOKEN_LENGTH,
  type UserEntry,
  type WirePrekey,
} from "../protocol/mod.ts";

/** A running fake directory. */
export type FakeDirectory = {
  readonly port: number;
  readonly identity: Identity;
  /** Rewrites every user entry before it is sent; identity by default. */
  lie: (entry: UserEntry) => UserEntry;
  /** Answers a lookup of `asked` (folded) instead of the truth when it returns an entry. */
  answer: (asked: string) => UserEntry | undefined;
  /** Every user registered so far, as the directory saw them (truthfully). */
  readonly users: Map<string, UserEntry>;
  /** Sends `to` a relay offer claiming it comes from `from`; returns the token to join with. */
  offer(to: string, from: string): Promise<string>;
  /** Keys and signed prekeys registered, by folded name (kept while offline, as bindings are). */
  readonly prekeys: Map<string, { name: string; key: string; prekey: WirePrekey }>;
  /** Rewrites the prekey answer for `asked` (folded); identity by default. */
  liePrekey: (asked: string, entry: { name: string; key: string; prekey: WirePrekey }) => {
    name: string;
    key: string;
    prekey: WirePrekey;
  };
  /** Every sealed message deposited, in order, as the directory holds it (base64). */
  readonly deposits: { to: string; sealed: string }[];
  /** Mail held for each folded name; delivered at registration, deleted on ack. */
  readonly held: Map<string, { id: number; sealed: string; stored: number }[]>;
  /** Delivers `sealed` (base64) to `to`, online now, as held mail of the directory's making. */
  deliver(to: string, sealed: string): Promise<void>;
  /** How many connections came to speak the directory protocol (relay joins not counted). */
  readonly sessions: number;
  /** Sends `to` (online now) a notice of the directory's making, then closes its session if it is `closing`. */
  notify(to: string, notice: Notice): Promise<void>;
  close(): void;
  // Key transparency (docs/protocol.md §15).
  /** The log every session sees, unless `logFor` says otherwise. */
  readonly log: FakeLog;
  /** Every log a registration is written to: `log`, and the forks `fork()` made. */
  readonly logs: Set<FakeLog>;
  /** A second history, written to from now on as `log` is: show it to someone with `logFor`. */
  fork(): FakeLog;
  /** The log a session sees, by the name it registered (undefined before it registers). */
  logFor: (name: string | undefined) => FakeLog;
  /** `shown`: log whatever key a reply shows (the lie a log exposes); `truth`: prove only what registered. */
  proving: "shown" | "truth";
  /** Alters the checkpoint and proof of each reply on its way out, for the session of `to`. */
  tamper: (
    proofs: { checkpoint: string; proof?: string },
    to: string | undefined,
  ) => { checkpoint?: string; proof?: string };
};

/** Starts a fake directory on 127.0.0.1 (on `port`, else any free one). */
export function startFakeDirectory(options: { port?: number } = {}): FakeDirectory {
  const identity = Identity.generate();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: options.port ?? 0 });
  let sessions = 0;
  const users = new Map<string, UserEntry>();
  const channels = new Map<string, SecureChannel>();
  const conns = new Set<Deno.TcpConn>();
  const waiting = new Map<string, Transport>();
  let nextMail = 1;
  const log = new FakeLog(identity);
  const fake: FakeDirectory = {
    port: listener.addr.port,
    identity,
    log,
    logs: new Set([log]),
    fork(): FakeLog {
      const forked = fake.log.fork();
      fake.logs.add(forked);
      return forked;
    },
    logFor: () => fake.log,
    proving: "shown",
    tamper: (proofs) => proofs,
    users,
    lie: (entry) => entry,
    answer: () => undefined,
    prekeys: new Map(),
    liePrekey: (_asked, entry) => entry,
    deposits: [],
    held: new Map(),
    get sessions() {
      return sessions;
    },
    async deliver(to: string, sealed: string): Promise<void> {
      const notice: Notice = { type: "mail", id: nextMail++, sealed, stored: Date.now() };
      await channels.get(to.toLowerCase())!.send(encodeMessage(notice));
    },
    async notify(to: string, notice: Notice): Promise<void> {
      const channel = channels.get(to.toLowerCase())!;
      await channel.send(encodeMessage(notice));
      if (notice.type === "closing") await channel.close();
    },
    async offer(to: string, from: string): Promise<string> {
      const token = toHex(crypto.getRandomValues(new Uint8Array(TOKEN_LENGTH)));
      const notice: Notice = { type: "relay-offer", from, token };
      await channels.get(to.toLowerCase())!.send(encodeMessage(notice));
      return token;
    },
    close(): void {
      listener.close();
      conns.forEach((c) => {
        try {
          c.close();
        } catch { /* closed */ }
      });
    },
  };
  const pump = async (from: Transport, to: Transport): Promise<void> => {
    try {
      for (let chunk = await from.read(); chunk !== null; chunk = await from.read()) {
        await to.write(chunk);
      }
    } catch { /* one side went away */ }
    from.close();
    to.close();
  };
  const serve = async (conn: Deno.TcpConn): Promise<void> => {
    const transport = connTransport(conn);
    const first = await readFirstFrame(transport, 256);
    if (!first) return transport.close();
    if (first.frame.type === RelayFrame.Join) {
      // Pair the two ends that join with one token, as the real relay does.
      const token = toHex(first.frame.body);
      const other = waiting.get(token);
      if (!other) {
        waiting.set(token, first.rest);
        return;
      }
      waiting.delete(token);
      await Promise.all([first.rest.write(READY_FRAME), other.write(READY_FRAME)]);
      await Promise.all([pump(first.rest, other), pump(other, first.rest)]);
      return;
    }
    sessions++;
    const channel = await acceptChannel(
      prefixedTransport(first.rest, first.frame.bytes),
      identity,
    ).catch(() => undefined);
    if (!channel) return;
    let own: string | undefined;
    /** The checkpoint and proof of `name` shown with `key`, from this session's log. */
    const proven = (name: string, key?: string): { checkpoint?: string; proof?: string } => {
      const view = fake.logFor(own);
      if (key !== undefined && fake.proving === "shown") view.ensure(name, fromBase64(key));
      return fake.tamper({ checkpoint: view.checkpoint, proof: view.proof(name) }, own);
    };
    try {
      for await (const bytes of channel.messages()) {
        const request = decodeRequest(bytes);
        let reply: Reply;
        if (request.type === "register") {
          own = request.name.toLowerCase();
          for (const history of fake.logs) history.ensure(own, channel.peer.key);
          channels.set(own, channel);
          users.set(own, {
            name: request.name,
            address: conn.remoteAddr.hostname,
            port: request.port,
            key: toBase64(channel.peer.key),
            fingerprint: channel.peer.fingerprint,
            addresses: [],
          });
          if (request.prekey) {
            fake.prekeys.set(own, {
              name: request.name,
              key: toBase64(channel.peer.key),
              prekey: request.prekey,
            });
          }
          reply = {
            id: request.id,
            type: "registered",
            name: request.name,
            address: conn.remoteAddr.hostname,
            port: request.port,
            ...proven(own, toBase64(channel.peer.key)),
          };
          const mine = fake.held.get(own) ?? [];
          queueMicrotask(() => {
            for (const mail of mine) channel.send(encodeMessage({ type: "mail", ...mail }));
          });
        } else if (request.type === "prekey") {
          const asked = request.name.toLowerCase();
          const entry = fake.prekeys.get(asked);
          const shown = entry && fake.liePrekey(asked, entry);
          reply = shown
            ? { id: request.id, type: "prekey", ...shown, ...proven(shown.name, shown.key) }
            : { id: request.id, type: "error", code: "not-found", message: "not found" };
        } else if (request.type === "mail") {
          const to = request.to.toLowerCase();
          fake.deposits.push({ to, sealed: request.sealed });
          const list = fake.held.get(to) ?? [];
          const mail = { id: nextMail++, sealed: request.sealed, stored: Date.now() };
          list.push(mail);
          fake.held.set(to, list);
          // To someone online: at once, as the real directory does.
          channels.get(to)?.send(encodeMessage({ type: "mail", ...mail })).catch(() => {});
          reply = { id: request.id, type: "mail-queued", expires: Date.now() + 86_400_000 };
        } else if (request.type === "mail-ack") {
          const list = fake.held.get(own ?? "") ?? [];
          fake.held.set(own ?? "", list.filter((m) => !request.ids.includes(m.id)));
          reply = { id: request.id, type: "ok" };
        } else if (request.type === "lookup") {
          const asked = request.name.toLowerCase();
          const user = fake.answer(asked) ?? users.get(asked);
          const shown = user && fake.lie(user);
          const { checkpoint, proof } = shown ? proven(shown.name, shown.key) : {};
          reply = shown
            ? { id: request.id, type: "user", user: { ...shown, proof }, checkpoint }
            : { id: request.id, type: "error", code: "not-found", message: "not found" };
        } else if (request.type === "list") {
          const shown = [...users.values()].map(fake.lie).map((user) => ({
            ...user,
            proof: proven(user.name, user.key).proof,
          }));
          const { checkpoint } = proven("");
          reply = { id: request.id, type: "users", users: shown, more: false, checkpoint };
        } else if (request.type.startsWith("log-")) {
          reply = logReply(fake.logFor(own), request);
        } else {
          reply = { id: request.id, type: request.type === "bye" ? "bye" : "pong" };
        }
        await channel.send(encodeMessage(reply));
      }
    } catch {
      // The client went away.
    } finally {
      if (own) {
        users.delete(own);
        channels.delete(own);
      }
    }
  };
  (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      serve(conn).catch(() => {}).finally(() => conns.delete(conn));
    }
  })().catch(() => {});
  return fake;
}

/** The fake's answer to one of the log's own requests, from `view`. */
function logReply(view: FakeLog, request: Extract<Request, { id: number }>): Reply {
  const id = request.id;
  try {
    switch (request.type) {
      case "log-checkpoint":
        return { id, type: "log-checkpoint", checkpoint: view.checkpoint };
      case "log-consistency":
        return {
          id,
          type: "log-consistency",
          from: request.from,
          to: request.to,
          proof: view.consistency(request.from, request.to),
        };
      case "log-entries":
        return {
          id,
          type: "log-entries",
          from: request.from,
          entries: view.entries(request.from, request.count ?? 500),
          checkpoint: view.checkpoint,
        };
      case "log-history":
        return {
          id,
          type: "log-history",
          name: request.name,
          entries: view.history(request.name, request.from ?? 0),
          more: false,
          checkpoint: view.checkpoint,
        };
    }
  } catch (error) {
    return { id, type: "error", code: "log-range", message: (error as Error).message };
  }
  return { id, type: "error", code: "bad-request", message: "not a log request" };
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
