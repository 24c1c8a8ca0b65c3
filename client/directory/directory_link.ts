/**
 * The client's lasting link to the directory: it pins the server's key on
 * first contact, registers, and when the connection drops, reconnects with
 * backoff (to the next instance, when several are given) and registers
 * again (the key reclaims the name). Open chats never depend on it.
 *
 * An instance that proves another key than the pinned (or demanded) one is
 * never tried again: the link says so once, and from then on every request
 * that finds no instance says it is the wrong key, not that the directory is
 * unreachable. Once every instance proved a wrong key, it stops trying.
 *
 * @module
 */
import { delay } from "../../async/mod.ts";
import {
  type Fingerprint,
  fingerprintOf,
  fromBase64,
  type Identity,
  type Transport,
  UnexpectedPeerKey,
  UnrevealedEphemeral,
} from "../../crypto/mod.ts";
import {
  DirectoryBusyError,
  DirectoryUnavailableError,
  type PunchResult,
  type WirePrekey,
} from "../../protocol/mod.ts";
import { backoffMs, busyDelayMs } from "./backoff.ts";
import {
  DirectoryClient,
  type DirectoryClosed,
  hostPortLabel,
  type Registered,
} from "./directory_client.ts";
import type { LocalEnd } from "./reusable_socket.ts";
import { joinRelay } from "./relay_client.ts";
import { RelayMeters } from "./relay_meter.ts";
import { isIpLiteral } from "../trust/mod.ts";
import { ClientError, errorEvent, ServerKeyError } from "../core/mod.ts";
import type { EventSink } from "../core/mod.ts";
import type { PinFile } from "../trust/mod.ts";
import type { CheckpointFile, ProvenUser } from "../trust/mod.ts";
import { LogWatch } from "./log_watch.ts";

/** How long the first connection keeps retrying a directory that hangs up during the handshake. */
export const STARTUP_RETRY_MS = 10_000;
/**
 * How long a server has to show it is a p2pchat directory (its first byte):
 * a directory answers the handshake at once; a web server that waits for a
 * whole request never does.
 */
export const IDENTIFY_TIMEOUT_MS = 2_000;

/** Options for the link. */
export type DirectoryLinkOptions = {
  /** Instances of one directory, tried in this order. */
  servers: { hostname: string; port: number }[];
  identity: Identity;
  pins: PinFile;
  /** `--server-key`: demand this fingerprint. */
  serverKey?: Fingerprint;
  sink: EventSink;
  heartbeatMs?: number;
  /** Called when a peer asks to meet through the relay. */
  onRelayOffer?: (offer: { from: string; token: string; relay?: string }) => void;
  /** Called for each sealed message the directory held for us. */
  onMail?: (mail: { id: number; sealed: string; stored: number }) => void;
  /** The signed prekey to publish, asked at every registration (so it rotates on time). */
  prekey?: () => Promise<WirePrekey>;
  /** Hole punching (§11.2): connect from ports a peer connection can leave from too. */
  reusablePort?: boolean;
  /** Key transparency (§15.6): the checkpoints kept, the data directory (evidence); else nothing is proven. */
  log?: { file: CheckpointFile; home: string };
};

/**
 * Hole punching (docs/protocol.md §11.2): where the directory connection
 * leaves from, and where the directory sees it come from (its NAT's mapping).
 */
export type SeenFrom = {
  /** The local address and port; `reusable` when a peer connection can leave from it too. */
  readonly local: LocalEnd & { readonly reusable: boolean };
  /** Where the directory sees the connection come from. */
  readonly observed: LocalEnd;
  /** Whether a NAT sits between: the observed address or port is not the local one. */
  readonly nat: boolean;
};

/** Where a link is. */
type LinkState =
  | { readonly kind: "down" }
  | { readonly kind: "up"; readonly client: DirectoryClient }
  | { readonly kind: "refused"; readonly error: ServerKeyError }
  | { readonly kind: "stopped" };

/** A registered, self-healing directory connection. */
export class DirectoryLink {
  readonly #options: DirectoryLinkOptions;
  readonly #unrevealed = new UnrevealedEphemeral();
  /** Where the link is: connected, between connections, stopped, or refused by every instance. */
  #state: LinkState = { kind: "down" };
  /** Which of the servers the link uses now. */
  #at = 0;
  #registration: { name: string; port: number; addresses?: string[] } | undefined;
  /** The instances that proved a wrong key, by index: never tried again. */
  readonly #wrongKey = new Map<number, ServerKeyError>();
  /** Hole punching: where the directory saw the client it registered with come from. */
  #seen: { client: DirectoryClient; from: SeenFrom } | undefined;
  /** Files (issue 23): the bytes each relayed chat carried, against its budget. */
  readonly #meters = new RelayMeters();
  /** The watch on the directory's key-transparency log. */
  readonly #log: LogWatch | undefined;

  /** A link to the directory the options name; connect() opens it. */
  constructor(options: DirectoryLinkOptions) {
    if (options.servers.length === 0) throw new RangeError("A directory link needs a server");
    this.#options = options;
    this.#log = options.log && new LogWatch({
      ...options.log,
      sink: options.sink,
      server: () => this.serverLabel,
    });
  }

  /** `host:port` of the instance in use. */
  get serverLabel(): string {
    return hostPortLabel(this.server);
  }

  /** The instance in use, where relayed chats meet too. */
  get server(): { hostname: string; port: number } {
    return this.#options.servers[this.#at];
  }

  /** The key the directory proved (the same on every instance). */
  get serverFingerprint(): Fingerprint {
    return this.#need().server.fingerprint;
  }

  /** The key to demand: --server-key, else the one pinned for any of the servers. */
  #demanded(): Fingerprint | undefined {
    if (this.#options.serverKey) return this.#options.serverKey;
    for (const server of this.#options.servers) {
      const pinned = this.#options.pins.get(hostPortLabel(server))?.fingerprint;
      if (pinned) return pinned;
    }
    return undefined;
  }

  /**
   * Connects to the first instance that answers (checking or pinning the
   * server key), skipping those that proved a wrong key before. At start, a
   * directory that hangs up during the handshake (busy) is retried with
   * backoff for up to STARTUP_RETRY_MS. Throws ServerKeyError when an
   * instance proves another key and none serves (one that does is used, and
   * the mismatch reported), else the last instance's failure.
   */
  async connect(retryForMs = STARTUP_RETRY_MS): Promise<void> {
    const deadline = Date.now() + retryForMs;
    const { servers } = this.#options;
    for (let attempt = 0;; attempt++) {
      let last: unknown;
      let fresh: ServerKeyError | undefined;
      for (let i = 0; i < servers.length; i++) {
        const at = (this.#at + i) % servers.length;
        if (this.#wrongKey.has(at)) continue;
        try {
          const client = await this.#connectTo(at);
          if (this.#state.kind === "stopped") {
            client.abort();
            return;
          }
          this.#state = { kind: "up", client };
          this.#at = at;
          if (fresh) this.#options.sink.emit(errorEvent(fresh));
          return;
        } catch (error) {
          // An entry with the wrong key is never used again; the others may still serve.
          if (!(error instanceof ServerKeyError)) last = error;
          else {
            this.#wrongKey.set(at, error);
            fresh ??= error;
          }
        }
      }
      if (this.#wrongKey.size === servers.length) {
        const refused = fresh ?? this.#wrongKey.values().next().value!;
        if (this.#state.kind !== "stopped") this.#state = { kind: "refused", error: refused };
        throw refused;
      }
      if (fresh) this.#options.sink.emit(errorEvent(fresh));
      // Told Busy: come back when told, however long the start-up waits (Ctrl-C still quits).
      if (last instanceof DirectoryBusyError && retryForMs > 0) {
        const wait = busyDelayMs(last.retryAfterMs);
        this.#options.sink.emit({
          type: "notice",
          notice: {
            code: "directory-busy",
            server: hostPortLabel(servers[this.#at]),
            waitMs: Math.round(wait),
          },
        });
        await delay(wait);
        continue;
      }
      const hungUp = last instanceof DirectoryUnavailableError && last.code === "connection-lost";
      const wait = backoffMs(attempt);
      if (!hungUp || Date.now() + wait > deadline) throw last;
      await delay(wait);
    }
  }

  async #connectTo(at: number): Promise<DirectoryClient> {
    const { pins, serverKey, sink } = this.#options;
    const server = this.#options.servers[at];
    const label = hostPortLabel(server);
    const demanded = this.#demanded();
    let client: DirectoryClient;
    try {
      client = await DirectoryClient.connect(server, {
        identity: this.#options.identity,
        expectedServer: demanded,
        identifyWithinMs: IDENTIFY_TIMEOUT_MS,
        heartbeatMs: this.#options.heartbeatMs,
        onRelayOffer: (offer) => {
          // Files (issue 23): what the relay carries for this chat, for offers of files.
          this.#meters.budget(offer.token, offer.budget);
          this.#options.onRelayOffer?.(offer);
        },
        onMail: this.#options.onMail,
        unrevealed: this.#unrevealed,
        reusablePort: this.#options.reusablePort,
      });
    } catch (error) {
      if (!(error instanceof UnexpectedPeerKey)) throw error;
      const got = error.got.replaceAll(" ", "");
      throw new ServerKeyError(
        serverKey
          ? {
            code: "server-key-mismatch",
            problem: "server-key-not-given",
            server: label,
            got,
            given: serverKey,
          }
          : {
            code: "server-key-mismatch",
            problem: "server-key-changed",
            server: label,
            got,
            pinned: demanded!,
            file: pins.path,
          },
      );
    }
    if (pins.get(label) === undefined) {
      await pins.set(label, {
        fingerprint: client.server.fingerprint,
        verified: serverKey !== undefined,
      });
      if (!serverKey && demanded === undefined) {
        sink.emit({
          type: "notice",
          notice: { code: "server-pinned", server: label, fingerprint: client.server.fingerprint },
        });
      }
    }
    return client;
  }

  /**
   * Registers (throws DirectoryError on name-invalid, name-taken), announcing
   * the peer port and the client's own addresses; then keeps it alive.
   */
  async register(
    name: string,
    port: number,
    addresses?: string[],
  ): Promise<Registered> {
    const client = this.#need();
    const prekey = await this.#options.prekey?.();
    const reply = await client.register(name, port, addresses, prekey);
    this.#registration = { name: reply.name, port, addresses };
    this.#seen = seenFrom(client, reply);
    this.#watch(client);
    // Your own name must be yours in the log, with no other key's bind since you last looked.
    const self = { name: reply.name, key: this.#options.identity.public.key };
    await this.#log?.registered(client, self, reply);
    return { name: reply.name, address: reply.address, port: reply.port };
  }

  /** Online users by prefix, each with the log's verdict on its key. */
  async list(
    options: { prefix?: string; after?: string; limit?: number },
  ): Promise<{ users: ProvenUser[]; more: boolean }> {
    const client = this.#need();
    const { users, more, checkpoint } = await client.list(options);
    const verdicts = await this.#log?.users(client, users, checkpoint);
    return { users: users.map((user, i) => ({ ...user, proven: verdicts?.[i] })), more };
  }

  /** One online user, with the log's verdict on its key. */
  async lookup(name: string): Promise<ProvenUser> {
    const client = this.#need();
    const { checkpoint, ...user } = await client.lookup(name);
    const [proven] = (await this.#log?.users(client, [user], checkpoint)) ?? [];
    return { ...user, proven };
  }

  /** One online user whose key the log proves; else a warning, and ClientError unproven-binding. */
  async lookupProven(name: string): Promise<ProvenUser> {
    const user = await this.lookup(name);
    this.#log?.mustProve(user.name, user.fingerprint, user.proven);
    return user;
  }

  /** The checkpoint to hand a peer in a chat (gossip), if one is kept. */
  gossipCheckpoint(): { directory: string; checkpoint: string } | undefined {
    return this.#state.kind === "up" ? this.#log?.handOut(this.#state.client.server) : undefined;
  }

  /** Reconciles a peer's checkpoint with ours (warning on a split view); never throws. */
  gossip(peer: string, theirs: { directory: string; checkpoint: string }): Promise<void> {
    const state = this.#state;
    if (state.kind !== "up" || !this.#log) return Promise.resolve();
    return this.#log.gossip(state.client, peer, theirs);
  }

  /** Asks the directory to relay a chat with `peer`; returns the token. */
  async relay(peer: string): Promise<string> {
    const { token, budget } = await this.#need().relay(peer);
    // Files (issue 23): what the relay carries for this chat, for offers of files.
    this.#meters.budget(token, budget);
    return token;
  }

  /**
   * Files (issue 23): joins the relay at `at` with `token` (joinRelay), its
   * bytes counted against the budget the directory gave for it.
   */
  async joinRelay(
    at: { hostname: string; port: number },
    token: string,
    signal?: AbortSignal,
  ): Promise<Transport> {
    return this.#meters.count(token, await joinRelay(at, token, signal));
  }

  /** Files (issue 23): the bytes the relay will still carry for `token`'s chat, if known. */
  relayLeft(token: string): number | undefined {
    return this.#meters.left(token);
  }

  /**
   * Where to join a relay the directory offered: the instance in use, or the
   * one the offer names (another instance of this directory) when that is an
   * IP address or one of the configured servers' hosts; undefined otherwise.
   */
  relayAt(relay: string | undefined): { hostname: string; port: number } | undefined {
    if (relay === undefined) return this.server;
    const match = relay.match(/^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]+)):(\d{1,5})$/);
    if (!match) return undefined;
    const hostname = match[1] ?? match[2];
    const port = Number(match[3]);
    const known = this.#options.servers.some((s) => s.hostname === hostname);
    if (port < 1 || port > 65535 || (!known && !isIpLiteral(hostname))) return undefined;
    return { hostname, port };
  }

  /** The bound name's key and signed prekey (unchecked); a key the log does not prove is refused. */
  async prekey(name: string): Promise<{ name: string; key: string; prekey: WirePrekey }> {
    const client = this.#need();
    const { checkpoint, proof, ...answer } = await client.prekey(name);
    const verdict = this.#log && await this.#log.key(client, { ...answer, proof }, checkpoint);
    if (verdict?.ok !== true) {
      LogWatch.refuse(
        this.#options.sink,
        answer.name,
        fingerprintOf(fromBase64(answer.key)),
        verdict,
      );
    }
    return answer;
  }

  /** Leaves a sealed message for `to`; returns when the directory drops it unread. */
  mail(to: string, sealed: string): Promise<number> {
    return this.#need().mail(to, sealed);
  }

  /** Deletes held messages that were handled. */
  mailAck(ids: number[]): Promise<void> {
    return this.#need().mailAck(ids);
  }

  /** Tells the directory a relayed chat moved to a direct connection (it counts them). */
  relayUpgraded(token: string): Promise<void> {
    return this.#need().relayUpgraded(token);
  }

  /**
   * Hole punching (§11.2): where the connection in use leaves from and where
   * the directory sees it; undefined while down, or when the directory did
   * not say (an older release).
   */
  get seenFrom(): SeenFrom | undefined {
    const state = this.#state;
    if (state.kind !== "up" || this.#seen?.client !== state.client) return undefined;
    return this.#seen.from;
  }

  /** Hole punching: tells the directory how one chat's punch ended (a count). */
  punchReport(result: PunchResult): Promise<void> {
    return this.#need().punchReport(result);
  }

  /** Says goodbye and stops reconnecting. */
  async stop(): Promise<void> {
    const state = this.#state;
    this.#state = { kind: "stopped" };
    if (state.kind === "up") await state.client.bye();
  }

  /** The state now (a read TypeScript does not narrow across the awaits around it). */
  #current(): LinkState {
    return this.#state;
  }

  /** The client in use; else why there is none: the wrong key, or a connection being made again. */
  #need(): DirectoryClient {
    const state = this.#state;
    if (state.kind === "up") return state.client;
    if (state.kind === "refused") throw state.error;
    throw new DirectoryUnavailableError(
      "connection-lost",
      "The directory is unreachable right now; p2pchat is reconnecting",
    );
  }

  async #watch(client: DirectoryClient): Promise<void> {
    const ended: DirectoryClosed = await client.closed;
    if (this.#state.kind !== "up" || this.#state.client !== client) return;
    this.#state = { kind: "down" };
    if (ended.reason === "replaced" || ended.reason === "name-lost") {
      // Registering again would take the name from ourselves, or be refused: stop.
      this.#state = { kind: "stopped" };
      this.#options.sink.emit(
        errorEvent(
          ended.reason === "replaced"
            ? new ClientError({ code: "name-replaced", problem: "name-replaced" })
            : new ClientError({ code: "name-lost", problem: "name-lost", why: ended.message }),
        ),
      );
      return;
    }
    this.#options.sink.emit({ type: "server-lost", detail: ended.message });
    // Try the next instance first: the one we had may be the one that died.
    this.#at = (this.#at + 1) % this.#options.servers.length;
    let wait = backoffMs(0);
    for (let attempt = 0; this.#state.kind === "down"; attempt++) {
      await delay(wait);
      wait = backoffMs(attempt + 1);
      if (this.#current().kind !== "down") return;
      try {
        await this.connect(0);
        const { name, port, addresses } = this.#registration!;
        await this.register(name, port, addresses);
        this.#options.sink.emit({ type: "server-restored" });
        return;
      } catch (error) {
        const state = this.#current();
        if (state.kind === "up") {
          state.client.abort();
          this.#state = { kind: "down" };
        }
        // Every instance proved a wrong key: said once (here), and never tried again.
        if (error instanceof ServerKeyError) {
          if (state.kind === "refused") this.#options.sink.emit(errorEvent(error));
          return;
        }
        // Busy: back when it said (a slot of our own), not sooner, not by the doubling.
        if (error instanceof DirectoryBusyError) wait = busyDelayMs(error.retryAfterMs);
        // Anything else: unreachable for now; the next attempt may find it back.
      }
    }
  }
}

/** Hole punching: what a registration says of where the client is seen from. */
function seenFrom(
  client: DirectoryClient,
  reply: Registered,
): { client: DirectoryClient; from: SeenFrom } | undefined {
  const local = client.local;
  if (reply.observedPort === undefined || local === undefined) return undefined;
  const observed = { address: reply.address, port: reply.observedPort };
  return {
    client,
    from: {
      local,
      observed,
      nat: observed.address !== local.address || observed.port !== local.port,
    },
  };
}
