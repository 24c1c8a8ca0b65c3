/**
 * The client side of the directory protocol, shared by `connect`, the tests
 * and the load generator: connect and pin the server, register, list,
 * look up, heartbeat, say goodbye.
 *
 * @module
 */
import {
  type Fingerprint,
  type Identity,
  initiateChannel,
  type PublicIdentity,
  type SecureChannel,
  type Transport,
} from "../crypto/mod.ts";
import { connTransport } from "../crypto/mod.ts";
import { DirectoryError, DirectoryUnavailableError } from "./errors.ts";
import {
  type CloseReason,
  decodeServerMessage,
  encodeMessage,
  type Reply,
  type Request,
  type UserEntry,
} from "./messages.ts";

/** How often the client proves it is alive; the server's default idle timeout is 30 s. */
export const DEFAULT_HEARTBEAT_MS = 10_000;
/** How long a request may wait for its reply. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Options for connecting to a directory. */
export type DirectoryClientOptions = {
  identity: Identity;
  /** Refuse the server unless it proves this key (pinned or given with --server-key). */
  expectedServer?: Fingerprint;
  handshakeTimeoutMs?: number;
  /** 0 disables heartbeats. */
  heartbeatMs?: number;
  requestTimeoutMs?: number;
  /** Called when another user asks this one to meet through the relay. */
  onRelayOffer?: (offer: { from: string; token: string }) => void;
};

/** Why the session with the directory ended. */
export type DirectoryClosed = { reason: CloseReason | "lost" | "closed"; message: string };

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
  readonly #channel: SecureChannel;
  readonly #pending = new Map<number, Pending>();
  readonly #requestTimeoutMs: number;
  readonly #onRelayOffer: DirectoryClientOptions["onRelayOffer"];
  #nextId = 1;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #ended: DirectoryClosed | undefined;

  private constructor(channel: SecureChannel, options: DirectoryClientOptions) {
    this.#channel = channel;
    this.server = channel.peer;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#onRelayOffer = options.onRelayOffer;
    this.closed = this.#readLoop();
    const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    if (heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => this.ping().catch(() => {}), heartbeatMs);
    }
  }

  /** Connects over TCP and runs the handshake, demanding the expected server key if given. */
  static async connect(
    address: { hostname: string; port: number },
    options: DirectoryClientOptions,
  ): Promise<DirectoryClient> {
    const conn = await Deno.connect({ hostname: address.hostname, port: address.port });
    return await DirectoryClient.over(connTransport(conn), options);
  }

  /** Runs the handshake over an existing transport. */
  static async over(
    transport: Transport,
    options: DirectoryClientOptions,
  ): Promise<DirectoryClient> {
    const channel = await initiateChannel(transport, options.identity, {
      expectedPeer: options.expectedServer,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
    });
    return new DirectoryClient(channel, options);
  }

  /** Registers under `name`, announcing the port this client listens on for peers. */
  async register(
    name: string,
    port: number,
    addresses?: string[],
  ): Promise<{ name: string; address: string; port: number }> {
    const reply = await this.#request({
      type: "register",
      name,
      port,
      ...(addresses?.length ? { addresses } : {}),
    });
    if (reply.type !== "registered") throw unexpected(reply);
    return { name: reply.name, address: reply.address, port: reply.port };
  }

  /** Online users whose names start with `prefix`, a page at a time. */
  async list(
    options: { prefix?: string; limit?: number; after?: string } = {},
  ): Promise<{ users: UserEntry[]; more: boolean }> {
    const reply = await this.#request({ type: "list", ...options });
    if (reply.type !== "users") throw unexpected(reply);
    return { users: reply.users, more: reply.more };
  }

  /** The online user called `name`; DirectoryError "not-found" when nobody is. */
  async lookup(name: string): Promise<UserEntry> {
    const reply = await this.#request({ type: "lookup", name });
    if (reply.type !== "user") throw unexpected(reply);
    return reply.user;
  }

  /** Asks the server to relay a chat with `peer`; returns the one-time token both sides join with. */
  async relay(peer: string): Promise<string> {
    const reply = await this.#request({ type: "relay", peer });
    if (reply.type !== "relay-token") throw unexpected(reply);
    return reply.token;
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
          this.#onRelayOffer?.({ from: message.from, token: message.token });
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
