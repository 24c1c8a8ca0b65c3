/**
 * The client side of the directory protocol, shared by `connect`, the tests
 * and the load generator: connect and pin the server, register, list,
 * look up, heartbeat, say goodbye.
 *
 * @module
 */
import {
  initiateChannel,
  type PublicIdentity,
  type SecureChannel,
  type Transport,
} from "../../crypto/mod.ts";
import { DirectoryError, DirectoryUnavailableError } from "../../protocol/mod.ts";
import { explainHandshakeFailure, mustBeDirectory } from "./directory_probe.ts";
import type { LocalEnd } from "./reusable_socket.ts";
import { dialDirectory, hostPortLabel } from "./directory_dial.ts";
import {
  decodeServerMessage,
  encodeMessage,
  type HistoryEntry,
  type PunchResult,
  type Reply,
  type Request,
  type UserEntry,
  type WirePrekey,
} from "../../protocol/mod.ts";

import {
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type DirectoryClientOptions,
  type DirectoryClosed,
  type LogProof,
  type Registered,
} from "./directory_options.ts";

type Pending = {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
};

// Requests without their id: TypeScript's Omit does not distribute over a union.
type RequestBody = Request extends infer R ? R extends Request ? Omit<R, "id"> : never : never;

/** An authenticated session with a directory server. */
export class DirectoryClient {
  /** The identity the server proved. */
  readonly server: PublicIdentity;
  /** Resolves once the session has ended, with why. */
  readonly closed: Promise<DirectoryClosed>;
  /** Hole punching: where this connection leaves from. */
  #local: LocalEnd & { reusable: boolean } | undefined;
  readonly #channel: SecureChannel;
  readonly #pending = new Map<number, Pending>();
  readonly #requestTimeoutMs: number;
  readonly #onRelayOffer: DirectoryClientOptions["onRelayOffer"];
  readonly #onMail: DirectoryClientOptions["onMail"];
  #nextId = 1;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #ended: DirectoryClosed | undefined;

  private constructor(channel: SecureChannel, options: DirectoryClientOptions) {
    this.#channel = channel;
    this.server = channel.peer;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#onRelayOffer = options.onRelayOffer;
    this.#onMail = options.onMail;
    this.closed = this.#readLoop();
    const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    if (heartbeatMs > 0) {
      // A heartbeat that fails means the connection is going: its end is reported by `closed`.
      this.#heartbeat = setInterval(() => this.ping().catch(() => {}), heartbeatMs);
    }
  }

  /**
   * Connects over TCP and runs the handshake, demanding the expected server
   * key if given. Fails with UnexpectedPeerKey when the server proves another
   * key, and otherwise with a DirectoryUnavailableError that says what the
   * other end did: `unreachable` (nothing listens), `not-a-directory` (its
   * first bytes are not a p2pchat handshake, an SSH banner or an HTTP answer
   * say: known as soon as they arrive), `timeout` (it accepted and stayed
   * silent, past `identifyWithinMs` when given), `connection-lost` (it hung
   * up during the handshake, as an overloaded directory does).
   */
  static async connect(
    address: { hostname: string; port: number },
    options: DirectoryClientOptions,
  ): Promise<DirectoryClient> {
    const label = hostPortLabel(address);
    const { raw, local } = await dialDirectory(address, label, options.reusablePort === true);
    const transport = mustBeDirectory(raw, label, options.identifyWithinMs);
    try {
      const client = await DirectoryClient.over(transport, options);
      client.#local = local;
      return client;
    } catch (error) {
      throw explainHandshakeFailure(error, label, options.handshakeTimeoutMs);
    }
  }

  /**
   * Hole punching (§11.2): where this connection leaves from (`reusable`
   * when a peer connection can leave from its port too, `reusablePort`);
   * undefined for a session over a transport given to over().
   */
  get local(): LocalEnd & { reusable: boolean } | undefined {
    return this.#local;
  }

  /** Runs the handshake over an existing transport. */
  static async over(
    transport: Transport,
    options: DirectoryClientOptions,
  ): Promise<DirectoryClient> {
    const channel = await initiateChannel(transport, options.identity, {
      expectedPeer: options.expectedServer,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      unrevealed: options.unrevealed,
    });
    return new DirectoryClient(channel, options);
  }

  /**
   * Registers under `name`, announcing the port this client listens on for
   * peers, and the signed prekey others seal offline messages to.
   */
  async register(
    name: string,
    port: number,
    addresses?: string[],
    prekey?: WirePrekey,
  ): Promise<Registered & LogProof> {
    const reply = await this.#request({
      type: "register",
      name,
      port,
      ...(addresses?.length ? { addresses } : {}),
      ...(prekey ? { prekey } : {}),
    });
    if (reply.type !== "registered") throw unexpected(reply);
    const { name: bound, address, port: listed, observedPort, checkpoint, proof } = reply;
    return {
      name: bound,
      address,
      port: listed,
      ...(observedPort ? { observedPort } : {}),
      checkpoint,
      proof,
    };
  }

  /** Online users whose names start with `prefix`, a page at a time. */
  async list(
    options: { prefix?: string; limit?: number; after?: string } = {},
  ): Promise<{ users: UserEntry[]; more: boolean; checkpoint?: string }> {
    const reply = await this.#request({ type: "list", ...options });
    if (reply.type !== "users") throw unexpected(reply);
    return { users: reply.users, more: reply.more, checkpoint: reply.checkpoint };
  }

  /** The online user called `name` (with the checkpoint its proof is in); DirectoryError "not-found" when nobody is. */
  async lookup(name: string): Promise<UserEntry & { checkpoint?: string }> {
    const reply = await this.#request({ type: "lookup", name });
    if (reply.type !== "user") throw unexpected(reply);
    return { ...reply.user, checkpoint: reply.checkpoint };
  }

  /**
   * Asks the server to relay a chat with `peer`; returns the one-time token
   * both sides join with, and (files, issue 23) the relay's byte budget for it.
   */
  async relay(peer: string): Promise<{ token: string; budget?: number }> {
    const reply = await this.#request({ type: "relay", peer });
    if (reply.type !== "relay-token") throw unexpected(reply);
    return { token: reply.token, budget: reply.budget };
  }

  /** Tells the directory that the relayed chat with `token` moved to a direct connection. */
  async relayUpgraded(token: string): Promise<void> {
    const reply = await this.#request({ type: "relay-upgraded", token });
    if (reply.type !== "ok") throw unexpected(reply);
  }

  /** Hole punching (§11.2): tells the directory how one chat's punch ended (it counts them). */
  async punchReport(result: PunchResult): Promise<void> {
    const reply = await this.#request({ type: "punch-report", result });
    if (reply.type !== "ok") throw unexpected(reply);
  }

  /** The identity key and signed prekey of the bound name `name`, online or not (unchecked). */
  async prekey(
    name: string,
  ): Promise<{ name: string; key: string; prekey: WirePrekey } & LogProof> {
    const reply = await this.#request({ type: "prekey", name });
    if (reply.type !== "prekey") throw unexpected(reply);
    const { key, prekey, checkpoint, proof } = reply;
    return { name: reply.name, key, prekey, checkpoint, proof };
  }

  /** Leaves a sealed message for `to`; returns when the directory will drop it unread (ms). */
  async mail(to: string, sealed: string): Promise<number> {
    const reply = await this.#request({ type: "mail", to, sealed });
    if (reply.type !== "mail-queued") throw unexpected(reply);
    return reply.expires;
  }

  /** Tells the directory these held messages arrived: it deletes them. */
  async mailAck(ids: number[]): Promise<void> {
    const reply = await this.#request({ type: "mail-ack", ids });
    if (reply.type !== "ok") throw unexpected(reply);
  }

  // Key transparency (docs/protocol.md §15.4): the log's requests.

  /** The directory's latest checkpoint (base64, unchecked). */
  async logCheckpoint(): Promise<string> {
    const reply = await this.#request({ type: "log-checkpoint" });
    if (reply.type !== "log-checkpoint") throw unexpected(reply);
    return reply.checkpoint;
  }

  /** The consistency proof between log sizes `from` and `to` (base64 hashes, unchecked). */
  async logConsistency(from: number, to: number): Promise<string> {
    const reply = await this.#request({ type: "log-consistency", from, to });
    if (reply.type !== "log-consistency" || reply.from !== from || reply.to !== to) {
      throw unexpected(reply);
    }
    return reply.proof;
  }

  /** Log entries from index `from` on (at most `count`) and the checkpoint they are in (unchecked). */
  async logEntries(
    from: number,
    count?: number,
  ): Promise<{ entries: string[]; checkpoint: string }> {
    const reply = await this.#request({ type: "log-entries", from, ...(count ? { count } : {}) });
    if (reply.type !== "log-entries" || reply.from !== from) throw unexpected(reply);
    return { entries: reply.entries, checkpoint: reply.checkpoint };
  }

  /** `name`'s log entries from index `from` on, with inclusion proofs (unchecked). */
  async logHistory(
    name: string,
    from = 0,
  ): Promise<{ entries: HistoryEntry[]; more: boolean; checkpoint: string }> {
    const reply = await this.#request({ type: "log-history", name, from });
    if (reply.type !== "log-history") throw unexpected(reply);
    return { entries: reply.entries, more: reply.more, checkpoint: reply.checkpoint };
  }

  /** A round trip to the server (also what heartbeats send). */
  async ping(): Promise<void> {
    const reply = await this.#request({ type: "ping" });
    if (reply.type !== "pong") throw unexpected(reply);
  }

  /** Leaves cleanly: the server drops the registration at once. */
  async bye(): Promise<void> {
    try {
      await this.#request({ type: "bye" });
    } catch {
      // Gone already: the goal is reached either way.
    }
    await this.close();
  }

  /** Closes the channel with a close record. */
  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    await this.#channel.close();
  }

  /** Drops the connection without a word, as a crash would. */
  abort(): void {
    clearInterval(this.#heartbeat);
    this.#channel.abort();
  }

  #request(body: RequestBody): Promise<Reply> {
    if (this.#ended) {
      return Promise.reject(
        new DirectoryUnavailableError(
          "connection-lost",
          `The directory connection ended: ${this.#ended.message}`,
        ),
      );
    }
    const id = this.#nextId++;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new DirectoryUnavailableError(
            "timeout",
            `The directory did not answer within ${this.#requestTimeoutMs} ms`,
          ),
        );
      }, this.#requestTimeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#channel.send(encodeMessage({ ...body, id } as Request)).catch((error) => {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(
          new DirectoryUnavailableError(
            "connection-lost",
            `Cannot reach the directory: ${error.message}`,
          ),
        );
      });
    });
  }

  async #readLoop(): Promise<DirectoryClosed> {
    let ended: DirectoryClosed = {
      reason: "closed",
      message: "The directory closed the connection",
    };
    try {
      for await (const bytes of this.#channel.messages()) {
        const message = decodeServerMessage(bytes);
        if (message.type === "closing") {
          ended = { reason: message.reason, message: message.message };
          continue;
        }
        if (message.type === "relay-offer") {
          this.#onRelayOffer?.(message);
          continue;
        }
        if (message.type === "mail") {
          this.#onMail?.(message);
          continue;
        }
        const pending = message.id === null ? undefined : this.#pending.get(message.id);
        if (!pending) continue;
        this.#pending.delete(message.id!);
        clearTimeout(pending.timer);
        pending.resolve(message);
      }
    } catch (error) {
      ended = { reason: "lost", message: (error as Error).message };
    }
    this.#ended = ended;
    clearInterval(this.#heartbeat);
    this.#channel.abort();
    for (const [, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(
        new DirectoryUnavailableError(
          "connection-lost",
          `The directory connection ended: ${ended.message}`,
        ),
      );
    }
    this.#pending.clear();
    return ended;
  }
}

function unexpected(reply: Reply): Error {
  if (reply.type === "error") return new DirectoryError(reply.code, reply.message);
  return new DirectoryUnavailableError(
    "connection-lost",
    `The directory sent an unexpected ${reply.type} reply`,
  );
}
