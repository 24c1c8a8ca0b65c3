/**
 * The sessions one instance holds over the shared store, and putting one
 * back online after the store lost it (its re-assertion), through the same
 * rules as a new registration (binding_rules.ts via redis_bindings.ts).
 *
 * @module
 */
import type {
  CloseReason,
  Name,
  NameKey,
  Notice,
  UserEntry,
  WirePrekey,
} from "../../protocol/mod.ts";
import type { Logger } from "../ops/mod.ts";
import { lostNameMessage } from "./binding_rules.ts";
import type { RedisBindings } from "./redis_bindings.ts";
import type { InstanceMessage } from "./redis_channel.ts";
import type { ProvenKey } from "./registry.ts";

/** What the shared state needs of a session here. */
export interface LocalSession {
  /** The session's number, unique on its instance. */
  readonly id: number;
  /** Tells the client why, then closes. */
  end(reason: CloseReason, message: string): Promise<void>;
  /** Sends an unsolicited notice. */
  notify(notice: Notice): void;
  /** Delivers mail that arrived for this user. */
  checkMail(): void;
}

/** What this instance keeps per session of its own. */
export type Mine = {
  readonly key: NameKey;
  readonly entry: UserEntry;
  /** The entry as its presence stores it. */
  readonly stored: string;
  readonly binding: ProvenKey;
  readonly prekey?: WirePrekey;
  /** The last use its binding holds, as last written from here. */
  lastUsed: number;
};

/** A session that left while the store was away: its presence is removed on the store's return. */
export type PendingLeave = { readonly key: NameKey; readonly binding: string };

/** The sessions registered on this instance, by session and by name key. */
export class LocalSessions<S extends LocalSession> {
  readonly #sessions = new Map<S, Mine>();
  readonly #byKey = new Map<NameKey, S>();
  readonly #pending = new Map<string, PendingLeave>();

  /** How many are registered here. */
  get size(): number {
    return this.#sessions.size;
  }

  /** What is kept for `session`, if it registered here. */
  get(session: S): Mine | undefined {
    return this.#sessions.get(session);
  }

  /** The session here holding the name key `key`, if any. */
  holding(key: NameKey): S | undefined {
    return this.#byKey.get(key);
  }

  /** Keeps `session`, registered as `mine`. */
  add(session: S, mine: Mine): void {
    this.#sessions.set(session, mine);
    this.#byKey.set(mine.key, session);
  }

  /** Forgets `session`; returns what was kept for it. */
  forget(session: S): Mine | undefined {
    const mine = this.#sessions.get(session);
    this.#sessions.delete(session);
    if (mine && this.#byKey.get(mine.key) === session) this.#byKey.delete(mine.key);
    return mine;
  }

  /** Every session here, in the order they registered. */
  entries(): [S, Mine][] {
    return [...this.#sessions];
  }

  /** Notes a leave the store did not take (it was away). */
  leftWhileAway(session: string, leave: PendingLeave): void {
    this.#pending.set(session, leave);
  }

  /** The leaves the store still owes, by session id. */
  pendingLeaves(): [string, PendingLeave][] {
    return [...this.#pending];
  }

  /** The store took the leave of `session` at last. */
  left(session: string): void {
    this.#pending.delete(session);
  }

  /** Acts on what another instance published about one of these sessions (redis_channel.ts). */
  deliver(message: InstanceMessage): void {
    const session = this.#byKey.get(message.key);
    if (!session || String(session.id) !== message.x) return;
    if (message.t === "replace") {
      // Its name is online on another instance now: that presence is not ours to remove.
      this.forget(session);
      session.end("replaced", "Your name was claimed by a newer session with your key");
    } else if (message.t === "mail") {
      session.checkMail();
    } else if (message.t === "offer") {
      const { from, token, relay, budget } = message;
      session.notify({ type: "relay-offer", from, token, relay, budget });
    }
  }
}

/** What putting sessions back online needs: the bindings, who we are, and how to leave. */
export type RestoreContext = {
  readonly bindings: RedisBindings;
  readonly instance: string;
  readonly log: Logger;
  /** Takes a presence offline (redis_presence.ts). */
  readonly leave: (key: NameKey, session: string, binding: string) => Promise<void>;
};

/**
 * After the store was away or lost its data: removes the presences of the
 * sessions that left meanwhile, then re-asserts every session still here
 * (reassertSession), in the order they registered.
 */
export async function restoreSessions<S extends LocalSession>(
  sessions: LocalSessions<S>,
  context: RestoreContext,
): Promise<void> {
  for (const [session, { key, binding }] of sessions.pendingLeaves()) {
    await context.leave(key, session, binding);
    sessions.left(session);
  }
  for (const [session] of sessions.entries()) await reassertSession(session, sessions, context);
}

/**
 * Puts `session` back online after the store lost it, by the rules of a
 * registration. A session whose name another key took meanwhile, or that
 * now looks like another key's, or that a newer session of its key holds,
 * is forgotten, logged and told why. Returns whether it kept its name.
 */
export async function reassertSession<S extends LocalSession>(
  session: S,
  sessions: LocalSessions<S>,
  context: Pick<RestoreContext, "bindings" | "instance" | "log">,
): Promise<boolean> {
  const mine = sessions.get(session);
  if (!mine) return false;
  const outcome = await context.bindings.claim({
    name: mine.entry.name as Name,
    key: mine.binding.base64,
    prekey: mine.prekey,
    entry: mine.stored,
    instance: context.instance,
    session: String(session.id),
    mode: "reassert",
  });
  if (outcome.kind === "ok") {
    mine.lastUsed = outcome.lastUsed;
    return true;
  }
  sessions.forget(session);
  const message = outcome.kind === "replaced"
    ? "Your name was claimed by a newer session with your key"
    : lostNameMessage(outcome.decision, mine.entry.name);
  context.log.event("reassert-refused", {
    session: session.id,
    name: mine.entry.name,
    reason: outcome.kind === "replaced" ? "replaced" : outcome.decision.kind,
  });
  await session.end(outcome.kind === "replaced" ? "replaced" : "name-lost", message);
  return false;
}
