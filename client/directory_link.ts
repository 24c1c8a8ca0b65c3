/**
 * The client's lasting link to the directory: pins the server's key on first
 * contact, registers, and when the connection drops, reconnects with backoff
 * and registers again (the key reclaims the name). Open chats never depend on it.
 *
 * @module
 */
import {
  type Fingerprint,
  formatFingerprint,
  type Identity,
  UnexpectedPeerKey,
} from "../crypto/mod.ts";
import { DirectoryClient, DirectoryUnavailableError, type UserEntry } from "../directory/mod.ts";
import { delay } from "../async/mod.ts";
import { ServerKeyError } from "./errors.ts";
import type { EventSink } from "./events.ts";
import type { PinFile } from "./pin_file.ts";

/** First reconnection delay; it doubles up to MAX_BACKOFF_MS, with jitter. */
export const MIN_BACKOFF_MS = 250;
/** Longest wait between reconnection attempts. */
export const MAX_BACKOFF_MS = 10_000;

export { ServerKeyError };

/** Options for the link. */
export type DirectoryLinkOptions = {
  server: { hostname: string; port: number };
  identity: Identity;
  pins: PinFile;
  /** `--server-key`: demand this fingerprint. */
  serverKey?: Fingerprint;
  sink: EventSink;
  heartbeatMs?: number;
  /** Called when a peer asks to meet through the relay. */
  onRelayOffer?: (offer: { from: string; token: string }) => void;
};

/** A registered, self-healing directory connection. */
export class DirectoryLink {
  readonly #options: DirectoryLinkOptions;
  #client: DirectoryClient | undefined;
  #registration: { name: string; port: number; addresses?: string[] } | undefined;
  #stopped = false;

  constructor(options: DirectoryLinkOptions) {
    this.#options = options;
  }

  /** `host:port` of the directory, as pinned. */
  get serverLabel(): string {
    const { hostname, port } = this.#options.server;
    return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  }

  /** Connects (checking or pinning the server key); throws ServerKeyError on a mismatch. */
  async connect(): Promise<void> {
    const { pins, serverKey, sink } = this.#options;
    const pinned = pins.get(this.serverLabel)?.fingerprint;
    const demanded = serverKey ?? pinned;
    let client: DirectoryClient;
    try {
      client = await DirectoryClient.connect(this.#options.server, {
        identity: this.#options.identity,
        expectedServer: demanded,
        heartbeatMs: this.#options.heartbeatMs,
        onRelayOffer: this.#options.onRelayOffer,
      });
    } catch (error) {
      if (!(error instanceof UnexpectedPeerKey)) throw error;
      const got = error.got;
      throw new ServerKeyError(
        serverKey
          ? `The directory at ${this.serverLabel} proved key ${got}, not the --server-key you gave (${
            formatFingerprint(serverKey)
          }); check the fingerprint with its operator`
          : `The directory at ${this.serverLabel} proved key ${got}, but ${
            formatFingerprint(demanded!)
          } was pinned on first contact (${pins.path}). If its operator changed the key, delete the "${this.serverLabel}" entry from that file; otherwise someone may be intercepting your connection`,
      );
    }
    if (pinned === undefined) {
      await pins.set(this.serverLabel, {
        fingerprint: client.server.fingerprint,
        verified: serverKey !== undefined,
      });
      if (!serverKey) {
        sink.emit({
          type: "info",
          message: `Pinned the directory's key ${
            formatFingerprint(client.server.fingerprint)
          } for ${this.serverLabel} (first contact); a different key will be refused from now on`,
        });
      }
    }
    this.#client = client;
  }

  /** The directory's address, where relayed chats meet too. */
  get server(): { hostname: string; port: number } {
    return this.#options.server;
  }

  /**
   * Registers (throws DirectoryError on name-invalid, name-taken), announcing
   * the peer port and the client's own addresses; then keeps it alive.
   */
  async register(name: string, port: number, addresses?: string[]): Promise<string> {
    const client = this.#need();
    const reply = await client.register(name, port, addresses);
    this.#registration = { name: reply.name, port, addresses };
    this.#watch(client);
    return reply.name;
  }

  /** Online users by prefix. */
  list(
    options: { prefix?: string; after?: string; limit?: number },
  ): Promise<{ users: UserEntry[]; more: boolean }> {
    return this.#need().list(options);
  }

  /** One online user. */
  lookup(name: string): Promise<UserEntry> {
    return this.#need().lookup(name);
  }

  /** Asks the directory to relay a chat with `peer`; returns the token. */
  relay(peer: string): Promise<string> {
    return this.#need().relay(peer);
  }

  /** Says goodbye and stops reconnecting. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#client?.bye();
  }

  #need(): DirectoryClient {
    if (!this.#client) {
      throw new DirectoryUnavailableError(
        "connection-lost",
        "The directory is unreachable right now; p2pchat is reconnecting",
      );
    }
    return this.#client;
  }

  async #watch(client: DirectoryClient): Promise<void> {
    const ended = await client.closed;
    if (this.#stopped || this.#client !== client) return;
    this.#client = undefined;
    if (ended.reason === "replaced") {
      this.#options.sink.emit({
        type: "error",
        code: "name-replaced",
        message:
          "Another p2pchat with your identity registered your name; this one stopped using the directory",
      });
      return;
    }
    this.#options.sink.emit({
      type: "server-lost",
      message: `Lost the directory (${ended.message}); open chats go on, reconnecting`,
    });
    for (let attempt = 0; !this.#stopped; attempt++) {
      const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** attempt);
      await delay(base / 2 + Math.random() * base / 2);
      if (this.#stopped) return;
      try {
        await this.connect();
        const { name, port, addresses } = this.#registration!;
        await this.register(name, port, addresses);
        this.#options.sink.emit({ type: "server-restored" });
        return;
      } catch (error) {
        (this.#client as DirectoryClient | undefined)?.abort();
        this.#client = undefined;
        if (error instanceof ServerKeyError) {
          this.#options.sink.emit({ type: "error", code: error.code, message: error.message });
          return;
        }
      }
    }
  }
}
