/**
 * The fan-out, without I/O (docs/protocol.md §13.4): how each frame reaches
 * each member. A member with a link up gets it on the link; one without is
 * routed once (looked up, its key checked against the membership and the
 * pin, dialled, directly or through the relay) while what is sent meanwhile
 * waits in a bounded queue; one found offline or unreachable gets sealed
 * mail for a while before it is tried again; one whose key does not hold up
 * gets nothing. Messages written on a link and not yet shown go out again
 * (another link, or mail) when the link goes down: the receiver shows each
 * once, whichever way it came.
 *
 * @module
 */
import type { Fingerprint } from "../../crypto/mod.ts";
import type { GroupFrame } from "./group_frames.ts";
import type { Member } from "./membership.ts";

/** How long a member found offline or unreachable gets mail before it is looked up again. */
export const OFFLINE_RECHECK_MS = 10_000;
/** How long a member whose key did not hold up gets nothing before it is checked again. */
export const BLOCKED_RECHECK_MS = 60_000;
/** Most frames waiting for a member being routed; beyond, they go as mail at once. */
export const MAX_ROUTE_QUEUE = 512;
/** Most messages remembered per link as written and not shown; the oldest are forgotten. */
export const MAX_UNACKED_PER_LINK = 2000;

/** What routing a member found. */
export type RouteResult<L> =
  /** A link is up (dialled, and the member let it in). */
  | { readonly kind: "linked"; readonly link: L }
  /** Not online, or online and out of reach: mail. */
  | { readonly kind: "offline" }
  /** Its key is not the membership's, or not the pin (the shell warned): nothing goes. */
  | { readonly kind: "blocked" };

/** What comes in. */
export type FanOutEvent<L> =
  | {
    readonly type: "send";
    readonly to: Member;
    readonly frames: readonly GroupFrame[];
    readonly now: number;
  }
  | {
    readonly type: "routed";
    readonly fingerprint: Fingerprint;
    readonly result: RouteResult<L>;
    readonly now: number;
  }
  /** A link with `member` is up (theirs or ours). */
  | { readonly type: "link-up"; readonly member: Member; readonly link: L }
  | { readonly type: "link-down"; readonly link: L; readonly now: number }
  /** `fingerprint` showed these messages. */
  | { readonly type: "acked"; readonly fingerprint: Fingerprint; readonly ids: readonly string[] };

/** What the shell is to do. */
export type FanOutAction<L> =
  /**
   * Look `to` up, check its key, and reach it with a link opened for `group`
   * (the group of the first frame waiting); the result comes back as `routed`.
   */
  | { readonly type: "route"; readonly to: Member; readonly group: string }
  | { readonly type: "write"; readonly link: L; readonly frames: readonly GroupFrame[] }
  /** Seal `frames` for `to` and leave them at the directory. */
  | { readonly type: "mail"; readonly to: Member; readonly frames: readonly GroupFrame[] };

type Route<L> = {
  member: Member;
  readonly links: L[];
  state: "idle" | "routing" | "offline" | "blocked";
  until: number;
  queue: GroupFrame[];
};

/** The routes to every member this client sends to. */
export class FanOut<L> {
  readonly #routes = new Map<Fingerprint, Route<L>>();
  readonly #owner = new Map<L, Fingerprint>();
  /** Per link, the messages written on it not yet shown, by id. */
  readonly #unacked = new Map<L, Map<string, GroupFrame>>();

  /** The links up with `fingerprint`. */
  links(fingerprint: Fingerprint): readonly L[] {
    return this.#routes.get(fingerprint)?.links ?? [];
  }

  /** Takes one event; returns what to do, in order. */
  handle(e: FanOutEvent<L>): FanOutAction<L>[] {
    switch (e.type) {
      case "send":
        return this.#send(e.to, e.frames, e.now);
      case "routed":
        return this.#routed(e.fingerprint, e.result, e.now);
      case "link-up": {
        const route = this.#route(e.member);
        route.member = e.member;
        if (!route.links.includes(e.link)) route.links.push(e.link);
        this.#owner.set(e.link, e.member.fingerprint);
        if (route.state !== "routing") route.state = "idle";
        return [];
      }
      case "link-down":
        return this.#down(e.link, e.now);
      case "acked":
        for (const link of this.links(e.fingerprint)) {
          const unacked = this.#unacked.get(link);
          for (const id of e.ids) unacked?.delete(id);
        }
        return [];
    }
  }

  #route(member: Member): Route<L> {
    let route = this.#routes.get(member.fingerprint);
    if (!route) {
      route = { member, links: [], state: "idle", until: 0, queue: [] };
      this.#routes.set(member.fingerprint, route);
    }
    return route;
  }

  #send(to: Member, frames: readonly GroupFrame[], now: number): FanOutAction<L>[] {
    const route = this.#route(to);
    if (route.links.length > 0) return [this.#write(route.links[0], frames)];
    if (route.state === "routing") {
      if (route.queue.length + frames.length > MAX_ROUTE_QUEUE) {
        return [{ type: "mail", to, frames }];
      }
      route.queue.push(...frames);
      return [];
    }
    if (now < route.until && route.state === "offline") return [{ type: "mail", to, frames }];
    if (now < route.until && route.state === "blocked") return [];
    if (frames.length === 0) return [];
    route.state = "routing";
    route.queue = [...frames];
    return [{ type: "route", to, group: frames[0].group }];
  }

  #routed(fingerprint: Fingerprint, result: RouteResult<L>, now: number): FanOutAction<L>[] {
    const route = this.#routes.get(fingerprint);
    if (!route || route.state !== "routing") {
      // Nobody waits for it any more: a link that came anyway stays, for what comes next.
      if (route && result.kind === "linked" && !route.links.includes(result.link)) {
        route.links.push(result.link);
        this.#owner.set(result.link, fingerprint);
      }
      return [];
    }
    const queued = route.queue;
    route.queue = [];
    switch (result.kind) {
      case "linked":
        if (!route.links.includes(result.link)) route.links.push(result.link);
        this.#owner.set(result.link, fingerprint);
        route.state = "idle";
        return queued.length > 0 ? [this.#write(route.links[0], queued)] : [];
      case "offline":
        route.state = route.links.length > 0 ? "idle" : "offline";
        route.until = now + OFFLINE_RECHECK_MS;
        if (queued.length === 0) return [];
        return route.links.length > 0
          ? [this.#write(route.links[0], queued)]
          : [{ type: "mail", to: route.member, frames: queued }];
      case "blocked":
        route.state = "blocked";
        route.until = now + BLOCKED_RECHECK_MS;
        return [];
    }
  }

  #down(link: L, now: number): FanOutAction<L>[] {
    const fingerprint = this.#owner.get(link);
    this.#owner.delete(link);
    const unacked = [...(this.#unacked.get(link)?.values() ?? [])];
    this.#unacked.delete(link);
    const route = fingerprint === undefined ? undefined : this.#routes.get(fingerprint);
    if (!route) return [];
    route.links.splice(route.links.indexOf(link), 1);
    // What the member may not have shown goes again, another way: it shows each once.
    return unacked.length > 0 ? this.#send(route.member, unacked, now) : [];
  }

  #write(link: L, frames: readonly GroupFrame[]): FanOutAction<L> {
    let unacked = this.#unacked.get(link);
    if (!unacked) this.#unacked.set(link, unacked = new Map());
    for (const frame of frames) {
      if (frame.type !== "group-msg") continue;
      unacked.set(frame.id, frame);
      if (unacked.size > MAX_UNACKED_PER_LINK) unacked.delete(unacked.keys().next().value!);
    }
    return { type: "write", link, frames };
  }
}
