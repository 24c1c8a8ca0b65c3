/**
 * One client connection after the handshake: per-connection flags only, and
 * dispatch of each request to one handler behind its gate. State lives in
 * the directory's state (server/state); policy (limits, logging) comes from
 * the server context; the offline-mail requests are in session_mail.ts.
 *
 * @module
 */
import {
  type CloseReason,
  decodeRequest,
  DEFAULT_LIST_LIMIT,
  DirectoryError,
  encodeMessage,
  fromWirePrekey,
  MAX_LIST_LIMIT,
  type Name,
  type NameKey,
  nameKey,
  type Notice,
  parseName,
  ProtocolError,
  type Reply,
  type Request,
  type WirePrekey,
} from "../protocol/mod.ts";
import {
  ChannelError,
  PublicIdentity,
  type SecureChannel,
  toBase64,
  verifyPrekey,
} from "../crypto/mod.ts";
import type { Mailbox } from "./mail/mod.ts";
import { depositMail, MailWindow, needMailbox, prekeyReply } from "./session_mail.ts";
import type { Logger } from "./ops/mod.ts";
import type { Metrics, RejectionReason } from "./ops/mod.ts";
import type { RateLimiter } from "./rate_limit.ts";
import type { DirectoryState } from "./state/mod.ts";
import type { RelayBroker } from "./relay/mod.ts";
// Key transparency (docs/protocol.md §15.4).
import * as proofs from "./session_log.ts";
import { lookupName, offerRelay } from "./session_relay.ts";

/** Bytes of replies a client may leave unread before it is dropped as a slow reader. */
export const MAX_PENDING_REPLY_BYTES = 256 * 1024;

/** What every session shares. */
export type SessionContext = {
  readonly directory: DirectoryState<Session>;
  /** Where this instance's relay is reached (`--advertise`), for offers to other instances. */
  readonly advertise: string;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly registrations: RateLimiter;
  readonly relay: RelayBroker;
  readonly clock: () => number;
  /** Where mail for offline users is held; undefined with `serve --mail off`. */
  readonly mailbox?: Mailbox;
};

/** A connected, authenticated client. */
export class Session {
  /** The connection's number, in logs and in the shared store. */
  readonly id: number;
  /** The address the connection comes from. */
  readonly address: string;
  /** The source port the connection comes from: a NAT's mapping, for hole punching (§11.2). */
  readonly observedPort: number;
  readonly #channel: SecureChannel;
  readonly #ctx: SessionContext;
  #closing = false;
  #name: string | undefined;
  /** Held mail sent and not acknowledged yet; none with `serve --mail off`. */
  readonly #mail: MailWindow | undefined;
  /** When the client last sent anything (heartbeats included). */
  lastSeen: number;

  /** The session of connection `id` from `from` (its remote address and port) over `channel`. */
  constructor(
    id: number,
    from: { hostname: string; port: number },
    channel: SecureChannel,
    ctx: SessionContext,
  ) {
    this.id = id;
    this.address = from.hostname;
    this.observedPort = from.port;
    this.#channel = channel;
    this.#ctx = ctx;
    this.lastSeen = ctx.clock();
    this.#mail = ctx.mailbox &&
      new MailWindow(ctx.mailbox, { session: id, log: ctx.log, clock: ctx.clock });
  }

  /** Short, loggable form of the client's proven identity. */
  get fingerprint(): string {
    return this.#channel.peer.fingerprint.slice(0, 16);
  }

  /** Reads and answers requests until the client leaves or is dropped. */
  async run(): Promise<void> {
    try {
      while (!this.#closing) {
        const bytes = await this.#channel.receive();
        if (bytes === null) {
          // Ended by us (replaced, shutdown, idle, slow reader): whoever ended it logged why.
          const state = this.#channel.state;
          if (state.kind === "closed" && state.by === "peer") {
            this.#ctx.log.event("disconnect", { session: this.id, how: "close" });
          }
          return;
        }
        this.lastSeen = this.#ctx.clock();
        let request: Request;
        try {
          request = decodeRequest(bytes);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          this.#ctx.metrics.reject("bad-request");
          this.#ctx.log.event("reject", {
            session: this.id,
            reason: "bad-request",
            detail: error.message,
          });
          this.#reply({ id: null, type: "error", code: "bad-request", message: error.message });
          return await this.end("protocol-error", "The server could not understand a request");
        }
        await this.#handle(request);
      }
    } catch (error) {
      if (!(error instanceof ChannelError)) throw error;
      this.#ctx.log.event("disconnect", {
        session: this.id,
        how: error.code === "truncated" ? "lost" : error.code,
      });
    } finally {
      this.#ctx.relay.forget(this);
      // Safe to drop: a store that is away counted the failure, and removes the presence when it
      // is back (RedisDirectory's pending leaves); there is nobody left to tell.
      const name = await this.#ctx.directory.leave(this).catch(() => undefined);
      if (name !== undefined) this.#ctx.log.event("leave", { session: this.id, name });
      this.#channel.abort();
    }
  }

  /** Tells the client why, then closes the channel with a close record. */
  async end(reason: CloseReason, message: string): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const notice: Notice = { type: "closing", reason, message };
    // Safe to drop: the close record follows; a client that is gone cannot be told anyway.
    this.#channel.send(encodeMessage(notice)).catch(() => {});
    await this.#channel.close();
  }

  /** Drops the connection at once, telling the client nothing. */
  drop(): void {
    this.#closing = true;
    this.#channel.abort();
  }

  async #handle(request: Request): Promise<void> {
    try {
      // Key transparency (docs/protocol.md §15.4): the log's requests need no registration.
      if (proofs.isLogRequest(request)) {
        return this.#reply(await proofs.logReply(this.#ctx, request));
      }
      switch (request.type) {
        case "ping":
          return this.#reply({ id: request.id, type: "pong" });
        case "bye":
          this.#reply({ id: request.id, type: "bye" });
          this.#ctx.log.event("disconnect", { session: this.id, how: "goodbye" });
          return await this.end("shutdown", "Goodbye");
        case "register":
          return await this.#register(request);
        case "list": {
          this.#mustBeRegistered();
          const page = await this.#ctx.directory.list({
            prefix: request.prefix,
            limit: Math.min(request.limit ?? DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT),
            after: request.after,
          });
          // Each user with the proof of its key, the page cut to fit one record (§15.4).
          return this.#reply(await proofs.provenPage(this.#ctx, request.id, page));
        }
        case "relay":
          this.#mustBeRegistered();
          return this.#reply(await offerRelay(this.#ctx, this, this.#name!, request));
        case "relay-upgraded":
          this.#mustBeRegistered();
          this.#ctx.relay.upgraded(this, request.token);
          this.#ctx.log.event("relay-upgraded", { session: this.id });
          return this.#reply({ id: request.id, type: "ok" });
        case "prekey": {
          this.#mustBeRegistered();
          const reply = await prekeyReply(this.#ctx, request.id, lookupName(request.name));
          return this.#reply({
            ...reply,
            ...await proofs.provenKey(this.#ctx, reply.name, reply.key),
          });
        }
        // Hole punching (§11.2): a count, nothing more; a client that lies changes a number.
        case "punch-report":
          this.#mustBeRegistered();
          this.#ctx.metrics.punched(request.result);
          this.#ctx.log.event("punch-report", { session: this.id, result: request.result });
          return this.#reply({ id: request.id, type: "ok" });
        case "mail": {
          this.#mustBeRegistered();
          const expires = await depositMail(
            this.#ctx,
            {
              session: this.id,
              name: nameKeyOf(this.#name!),
              key: this.#channel.peer.key,
            },
            lookupName(request.to),
            request.sealed,
          );
          return this.#reply({ id: request.id, type: "mail-queued", expires });
        }
        case "mail-ack":
          this.#mustBeRegistered();
          await needMailbox(this.#ctx).ack(nameKeyOf(this.#name!), request.ids);
          this.#mail?.acknowledged(request.ids);
          this.#reply({ id: request.id, type: "ok" });
          return this.checkMail();
        case "lookup": {
          this.#mustBeRegistered();
          const found = await this.#ctx.directory.lookup(lookupName(request.name));
          if (!found) {
            // What the log binds to the name goes with the answer (§15.4): absent, or offline.
            return this.#reply({
              id: request.id,
              type: "error",
              code: "not-found",
              message: `Nobody called ${request.name} is online`,
              ...await proofs.provenAbsence(this.#ctx, request.name),
            });
          }
          return this.#reply({
            id: request.id,
            type: "user",
            ...await proofs.provenUser(this.#ctx, found),
          });
        }
      }
    } catch (error) {
      // Name errors are DirectoryErrors too: every refusal goes back with its own code.
      if (!(error instanceof DirectoryError)) throw error;
      this.#refuse(request.id, error.code, error.message);
    }
  }

  async #register(request: Extract<Request, { type: "register" }>): Promise<void> {
    if (!this.#ctx.registrations.take(this.address)) {
      throw new DirectoryError(
        "rate-limited",
        "Too many registrations from your address; wait a moment and retry",
      );
    }
    const peer = this.#channel.peer;
    if (request.prekey && !signedBy(peer.key, request.prekey)) {
      throw new ProtocolError("The prekey is not signed by your key");
    }
    const key = { raw: peer.key, base64: toBase64(peer.key), fingerprint: peer.fingerprint };
    let name: Name;
    try {
      name = parseName(request.name);
    } catch (error) {
      // A name bound before the current rules stays its owner's.
      const legacy = await this.#ctx.directory.legacyName(request.name, key);
      if (legacy === undefined) throw error;
      name = legacy;
    }
    // The prekey is kept with the binding, in the same write; only a directory holding mail needs it.
    // Hole punching (§11.2): the source port is listed for a user behind a NAT, whose own
    // addresses do not include the one its connection comes from.
    const natted = !(request.addresses ?? []).includes(this.address);
    const { entry, replaced } = await this.#ctx.directory.register(this, name, key, {
      address: this.address,
      port: request.port,
      addresses: request.addresses,
      ...(natted ? { observedPort: this.observedPort } : {}),
    }, this.#ctx.mailbox ? request.prekey : undefined);
    this.#name = entry.name;
    this.#ctx.metrics.registrationsTotal++;
    if (replaced) {
      this.#ctx.log.event("replaced", { session: replaced.id, by: this.id, name });
      await replaced.end("replaced", "Your name was claimed by a newer session with your key");
    }
    this.#ctx.log.event("register", {
      session: this.id,
      name,
      address: this.address,
      fp: this.fingerprint,
    });
    // The proof that the name is this key's (§15.4), once the log shows it.
    const { checkpoint, user } = await proofs.provenUser(this.#ctx, entry, { fresh: true });
    this.#reply({
      id: request.id,
      type: "registered",
      name: entry.name,
      address: entry.address,
      port: entry.port,
      // Hole punching (§11.2): where the client's connection comes from, its NAT's mapping.
      observedPort: this.observedPort,
      checkpoint,
      proof: user.proof,
    });
    this.checkMail();
  }

  /** Sends this user the mail held for it that fits its window (session_mail.ts). */
  checkMail(): void {
    if (this.#name === undefined || this.#closing) return;
    this.#mail?.check(nameKeyOf(this.#name), (notice) => this.notify(notice), () => this.#closing);
  }

  /** Sends an unsolicited notice. */
  notify(notice: Notice): void {
    this.#send(encodeMessage(notice));
  }

  #mustBeRegistered(): void {
    if (!this.#ctx.directory.isRegistered(this)) {
      throw new DirectoryError("not-registered", "Register a name first");
    }
  }

  #refuse(id: number, code: DirectoryError["code"], message: string): void {
    const counted: RejectionReason[] = [
      "rate-limited",
      "name-invalid",
      "name-taken",
      "relay-limit",
    ];
    if ((counted as string[]).includes(code)) this.#ctx.metrics.reject(code as RejectionReason);
    this.#ctx.log.event("reject", { session: this.id, reason: code });
    this.#reply({ id, type: "error", code, message });
  }

  #reply(reply: Reply): void {
    this.#send(encodeMessage(reply));
  }

  /**
   * Queues a message; a client that lets more than MAX_PENDING_REPLY_BYTES
   * pile up unread fails its channel (`slow-reader`) and is dropped.
   */
  #send(bytes: Uint8Array): void {
    this.#channel.send(bytes).catch((error) => {
      if (this.#closing) return; // Dropped already: counted once.
      if (error instanceof ChannelError && error.code === "slow-reader") {
        this.#ctx.metrics.reject("slow-reader");
        this.#ctx.log.event("reject", { session: this.id, reason: "slow-reader" });
      }
      this.drop();
    });
  }
}

/** Whether `wire` is a prekey signed by the raw Ed25519 key `owner`. */
function signedBy(owner: Uint8Array, wire: WirePrekey): boolean {
  try {
    return verifyPrekey(PublicIdentity.fromRaw(owner), fromWirePrekey(wire));
  } catch {
    return false;
  }
}

function nameKeyOf(name: string): NameKey {
  return nameKey(name as Name);
}
