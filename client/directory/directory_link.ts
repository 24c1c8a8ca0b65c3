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
  type Transport,
  UnrevealedEphemeral,
} from "../../crypto/mod.ts";
import {
  DirectoryBusyError,
  DirectoryUnavailableError,
  type PunchResult,
  type WirePrekey,
} from "../../protocol/mod.ts";
import { backoffMs, busyDelayMs, firstReconnectMs } from "./backoff.ts";
import { DirectoryClient } from "./directory_client.ts";
import { hostPortLabel } from "./directory_dial.ts";
import {
  type DirectoryClosed,
  type DirectoryLinkOptions,
  IDENTIFY_TIMEOUT_MS,
  type Registered,
  STARTUP_RETRY_MS,
} from "./directory_options.ts";
import { joinRelay, relayAddress } from "./relay_client.ts";
import { connectPinned } from "./server_pin.ts";
import { startupWait, tryInstances } from "./failover.ts";
import { type SeenFrom, seenFrom } from "./seen_from.ts";
import { RelayMeters } from "./relay_meter.ts";
import { ClientError, errorEvent, ServerKeyError } from "../core/mod.ts";
import type { ProvenUser } from "../trust/mod.ts";
import { LogWatch } from "./log_watch.ts";

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
      const pass = await tryInstances(
        servers.length,
        this.#at,
        this.#wrongKey,
        (at) => this.#connectTo(at),
      );
      if (pass.kind === "up") {
        if (this.#state.kind === "stopped") {
          pass.client.abort();
          return;
        }
        this.#state = { kind: "up", client: pass.client };
        this.#at = pass.at;
        if (pass.fresh) this.#options.sink.emit(errorEvent(pass.fresh));
        return;
      }
      if (this.#wrongKey.size === servers.length) {
        const refused = pass.fresh ?? this.#wrongKey.values().next().value!;
        if (this.#state.kind !== "stopped") this.#state = { kind: "refused", error: refused };
        throw refused;
      }
      if (pass.fresh) this.#options.sink.emit(errorEvent(pass.fresh));
      const wait = startupWait(pass.last, attempt, retryForMs, deadline);
      if (wait === undefined) throw pass.last;
      if (wait.busy) {
        this.#options.sink.emit({
          type: "notice",
          notice: {
            code: "directory-busy",
            server: hostPortLabel(servers[this.#at]),
            waitMs: Math.round(wait.ms),
          },
        });
      }
      await delay(wait.ms);
    }
  }

  async #connectTo(at: number): Promise<DirectoryClient> {
    const options = this.#options;
    const { client, pinned } = await connectPinned(options.servers[at], {
      identity: options.identity,
      identifyWithinMs: IDENTIFY_TIMEOUT_MS,
      heartbeatMs: options.heartbeatMs,
      onRelayOffer: (offer) => {
        // Files (issue 23): what the relay carries for this chat, for offers of files.
        this.#meters.budget(offer.token, offer.budget);
        options.onRelayOffer?.(offer);
      },
      onMail: options.onMail,
      unrevealed: this.#unrevealed,
      reusablePort: options.reusablePort,
    }, options);
    if (pinned) {
      const server = hostPortLabel(options.servers[at]);
      const fingerprint = client.server.fingerprint;
      options.sink.emit({ type: "notice", notice: { code: "server-pinned", server, fingerprint } });
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
    return relay === undefined ? this.server : relayAddress(relay, this.#options.servers);
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
    let wait = firstReconnectMs();
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
