/**
 * The directory server: accepts connections, enforces the connection limits,
 * runs the handshake, and hands each authenticated client to a Session.
 *
 * @module
 */
import { encodeMessage } from "../protocol/mod.ts";
import { abortable, Deadline, delay } from "../async/mod.ts";
import { ChannelError, connTransport, type Identity, type Transport } from "../crypto/mod.ts";
import { RelayBroker, type RelayLimits } from "./relay/mod.ts";
import { HandshakeAdmission, type StartupLimits, type StartupRefusal } from "../admission/mod.ts";
import type { Logger } from "./ops/mod.ts";
import { type CapacityView, LAG_TICK_MS, Metrics } from "./ops/mod.ts";
import { CapacityGate, DEFAULT_MIN_HANDSHAKES } from "./capacity_gate.ts";
import type { Mailbox } from "./mail/mod.ts";
import type { NameStore } from "./state/mod.ts";
import { RateLimiter } from "./rate_limit.ts";
import { listenFailure } from "./listen_failure.ts";
import { errorMessage } from "../errors/mod.ts";
import { type DirectoryState, LocalDirectory } from "./state/mod.ts";
import { Session, type SessionContext } from "./session.ts";
import { deferEarly, openConnection, type OpenContext, type Opened } from "./connection_open.ts";
import { acceptFailureReason } from "./descriptors.ts";

/** Where the server listens, and its limits and timeouts (what `serve`'s flags set). */
export type ServerSettings = {
  hostname: string;
  port: number;
  maxClients: number;
  maxPerAddress: number;
  registerRate: number;
  nameTtlMs: number;
  idleTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** The most handshakes the capacity gate runs at once (`--max-handshakes`). */
  maxHandshakes: number;
  /** Who may start a handshake: per source and in total, with random early drop. */
  startups: StartupLimits;
  relay: RelayLimits;
};

/** Everything the server runs with. */
export type ServerOptions = ServerSettings & {
  identity: Identity;
  /** One process: bindings in this store, presence in memory. */
  store?: NameStore;
  /** Several processes: the shared state (RedisDirectory); instead of `store`. */
  state?: DirectoryState<Session>;
  /** `HOST:PORT` where this instance's relay is reached (default: where it listens). */
  advertise?: string;
  /** Where mail for offline users is held; none with `--mail off`. */
  mailbox?: Mailbox;
  log: Logger;
  /** Draws the random early drops (tests fix it). */
  random?: () => number;
  clock?: () => number;
};

/** How often the state's housekeeping runs (expired bindings; the shared store's own is faster). */
const MAINTAIN_INTERVAL_MS = 60_000;

/** How long shutdown waits for connections to finish closing. */
const SHUTDOWN_GRACE_MS = 2_000;
/** How long the server waits before retrying accept after running out of descriptors. */
const ACCEPT_BACKOFF_MS = 250;

/** A running directory server. */
export class DirectoryServer {
  /** The counters `/metrics` shows. */
  readonly metrics = new Metrics();
  /** Who is online and which key owns which name. */
  readonly state: DirectoryState<Session>;
  /** The relay for peers that cannot reach each other. */
  readonly relay: RelayBroker;
  readonly #options: ServerOptions;
  readonly #listener: Deno.TcpListener;
  readonly #ctx: SessionContext;
  readonly #sessions = new Set<Session>();
  readonly #perAddress = new Map<string, number>();
  readonly #running = new Set<Promise<void>>();
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  readonly #startups: HandshakeAdmission;
  readonly #capacity: CapacityGate;
  readonly #opening: OpenContext;
  #nextId = 1;
  #stopping = false;
  #accepting: Promise<void>;

  private constructor(options: ServerOptions, listener: Deno.TcpListener) {
    this.#options = options;
    this.#listener = listener;
    this.#startups = new HandshakeAdmission(options.startups, options.random);
    const clock = options.clock ?? Date.now;
    // Durations and slots on a clock that never steps back (the wall clock may).
    const monotonic = options.clock ?? (() => performance.now());
    this.#capacity = new CapacityGate({
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      minLimit: Math.min(DEFAULT_MIN_HANDSHAKES, options.maxHandshakes),
      maxLimit: options.maxHandshakes,
      clock: monotonic,
      slotsPerSource: options.startups.perSource,
    });
    if (!options.state && !options.store) throw new TypeError("A server needs a store or a state");
    this.state = options.state ??
      new LocalDirectory<Session>(options.store!, {
        clock,
        nameTtlMs: options.nameTtlMs,
        // Key transparency (docs/protocol.md §15): the directory's key signs its log.
        identity: options.identity,
        event: (event, fields) => options.log.event(event, fields),
      });
    this.#opening = {
      identity: options.identity,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      capacity: this.#capacity,
      metrics: this.metrics,
      log: options.log,
      clock: monotonic,
      lingering: { count: 0 },
    };
    this.relay = new RelayBroker(options.relay, options.log, clock);
    const { hostname, port } = listener.addr;
    this.#ctx = {
      directory: this.state,
      advertise: options.advertise ??
        `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
      metrics: this.metrics,
      log: options.log,
      registrations: new RateLimiter(options.registerRate, clock),
      relay: this.relay,
      clock,
      mailbox: options.mailbox,
    };
    this.#timers.push(
      setInterval(() => this.#sweepIdle(), Math.min(1000, options.idleTimeoutMs / 4)),
    );
    let tick = performance.now();
    this.#timers.push(setInterval(() => {
      const now = performance.now();
      this.metrics.tick(now - tick - LAG_TICK_MS);
      // Established sessions first: while the loop lags, no newcomer gets a handshake.
      this.#capacity.lag(now - tick - LAG_TICK_MS);
      tick = now;
    }, LAG_TICK_MS));
    this.#timers.push(setInterval(() => {
      this.#ctx.registrations.sweep();
      // Both run again in a minute; an operator still hears of each failure.
      this.state.maintain().catch((error) =>
        options.log.event("maintenance-failed", { of: "bindings", error: errorMessage(error) })
      );
      options.mailbox?.purge(clock()).catch((error) =>
        options.log.event("maintenance-failed", { of: "mail", error: errorMessage(error) })
      );
    }, MAINTAIN_INTERVAL_MS));
    this.#accepting = this.#acceptLoop();
  }

  /**
   * Starts listening; throws ListenError naming the flag at fault (the
   * address is in use, not this machine's, or needs privileges).
   */
  static start(options: ServerOptions): DirectoryServer {
    let listener: Deno.TcpListener;
    try {
      listener = Deno.listen({ hostname: options.hostname, port: options.port, transport: "tcp" });
    } catch (error) {
      throw listenFailure("directory", options, error);
    }
    return new DirectoryServer(options, listener);
  }

  /** Where the server listens. */
  get addr(): Deno.NetAddr {
    return this.#listener.addr;
  }

  /** The capacity gate's state, for /metrics. */
  get capacity(): CapacityView {
    const gate = this.#capacity;
    return { limit: gate.limit, inProgress: gate.inProgress, rate: Math.round(gate.rate) };
  }

  /** Tells every client the server is going away, closes everything, flushes the store. */
  async shutdown(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#timers.forEach(clearInterval);
    this.#listener.close();
    await this.#accepting;
    await Promise.all(
      [...this.#sessions].map((s) => s.end("shutdown", "The directory server is shutting down")),
    );
    {
      using grace = Deadline.after(SHUTDOWN_GRACE_MS, () => new Error("shutdown grace over"));
      // Safe to drop: the only rejection is the grace running out; what still runs ends with us.
      await abortable(Promise.all(this.#running), grace.signal).catch(() => {});
    }
    await this.state.close();
    await this.#options.mailbox?.close();
    this.#options.log.event("stopped", {});
    await this.#options.log.flush();
  }

  async #acceptLoop(): Promise<void> {
    // Newcomers wait in the kernel's queue while the state loads (the key-transparency map is
    // rebuilt, every name hashed): answering a restart's crowd meanwhile only slowed both down.
    // A log that failed to load is reported where it is used; accepting goes on regardless.
    await this.state.keyLog().catch(() => {});
    let outOfDescriptors = false;
    while (!this.#stopping) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#stopping) return;
        if (!outOfDescriptors) {
          outOfDescriptors = true;
          const reason = acceptFailureReason(error);
          this.metrics.reject(reason);
          this.#options.log.event("accept-failed", {
            reason,
            error: error instanceof Error ? error.name : "unknown",
            action: reason === "out-of-descriptors"
              ? "refusing new connections until descriptors free up"
              : "retrying",
          });
        }
        await delay(ACCEPT_BACKOFF_MS);
        continue;
      }
      if (outOfDescriptors) {
        outOfDescriptors = false;
        this.#options.log.event("accept-recovered", {});
      }
      this.#track(this.#serve(conn));
    }
  }

  #track(work: Promise<void>): void {
    this.#running.add(work);
    work.finally(() => this.#running.delete(work));
  }

  /**
   * One connection from accept to its end. A promise chain, not an async
   * function: a session online holds no suspended frame of this (a directory
   * holds one per user).
   */
  #serve(conn: Deno.TcpConn): Promise<void> {
    const address = conn.remoteAddr.hostname;
    const id = this.#nextId++;
    const count = (this.#perAddress.get(address) ?? 0) + 1;
    this.#perAddress.set(address, count);
    this.metrics.connectionsOpen++;
    const transport = connTransport(conn);
    const release = (): void => {
      transport.close();
      this.metrics.connectionsOpen--;
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left === 0) this.#perAddress.delete(address);
      else this.#perAddress.set(address, left);
    };
    return this.#start(conn, transport, id, count).then((session) => {
      if (session === undefined) return;
      this.#sessions.add(session);
      return session.run().finally(() => this.#sessions.delete(session));
    }).finally(release);
  }

  /**
   * Admission, the first frame and the handshake: the session to run, or
   * undefined once the connection is done with (refused, busy, relayed).
   */
  async #start(
    conn: Deno.TcpConn,
    transport: Transport,
    id: number,
    count: number,
  ): Promise<Session | undefined> {
    const address = conn.remoteAddr.hostname;
    if (this.#options.maxPerAddress > 0 && count > this.#options.maxPerAddress) {
      this.metrics.admissions.refused++;
      this.#refuseEarly(transport, id, address, "per-address-limit");
      return;
    }
    const ticket = this.#startups.admit(address, () => {
      this.metrics.reject("startups-evicted");
      this.#options.log.event("reject", { session: id, address, reason: "startups-evicted" });
      transport.close();
    });
    if (typeof ticket === "string") {
      // Too many starting at once, and this source below its own cap: a crowd reconnecting after
      // a restart, say. Told when to come back, in the capacity gate's schedule, it arrives at the rate
      // the directory takes newcomers; cut off, it would come back blind, with backoff.
      // Random early drops stay drops: a flood's newcomers must keep rolling the dice at once.
      if (ticket === "startups-full") {
        return void await deferEarly(this.#opening, transport, { id, address, reason: ticket });
      }
      this.metrics.admissions.refused++;
      this.#refuseEarly(transport, id, address, ticket);
      return;
    }
    let opened: Opened;
    try {
      opened = await openConnection(this.#opening, transport, id, address);
    } catch (error) {
      this.metrics.handshakeFailuresTotal++;
      this.#options.log.event("handshake-failed", {
        session: id,
        reason: error instanceof ChannelError ? error.code : "internal",
      });
      return;
    } finally {
      this.#startups.release(ticket);
    }
    if ("relay" in opened) {
      await this.relay.join(opened.relay.rest, opened.relay.token, id);
      return;
    }
    if ("busy" in opened) return;
    const { channel } = opened;
    const session = new Session(id, conn.remoteAddr, channel, this.#ctx);
    if (this.#sessions.size >= this.#options.maxClients || this.#stopping) {
      this.metrics.reject("server-full");
      this.#options.log.event("reject", { session: id, reason: "server-full" });
      await channel.send(
        encodeMessage({
          id: null,
          type: "error",
          code: "server-full",
          message: "The directory is full; try again later",
        }),
      ).catch(() => {}); // Safe to drop: refused either way; a failed send means it left already.
      await session.end("server-full", "The directory is full; try again later");
      return;
    }
    return session;
  }

  #refuseEarly(
    transport: { close(): void },
    id: number,
    address: string,
    reason: "per-address-limit" | StartupRefusal,
  ): void {
    this.metrics.reject(reason);
    this.#options.log.event("reject", { session: id, address, reason });
    transport.close();
  }

  #sweepIdle(): void {
    const cutoff = this.#ctx.clock() - this.#options.idleTimeoutMs;
    for (const session of this.#sessions) {
      if (session.lastSeen < cutoff) {
        this.metrics.reject("idle");
        this.metrics.idleEndedTotal++;
        this.#options.log.event("disconnect", { session: session.id, how: "idle" });
        session.drop();
      }
    }
  }
}
