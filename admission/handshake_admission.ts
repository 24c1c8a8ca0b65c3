/**
 * Who may start a handshake, decided without I/O, for the directory's
 * listener (docs/protocol.md §9.5) and a client's (§10.1) alike:
 * unauthenticated connections are bounded per source network and in total,
 * and past a threshold new ones are dropped at random with a probability
 * that rises to certainty at the total, as OpenSSH's `MaxStartups
 * start:rate:full` and `PerSourceMaxStartups` do. A flood from a few
 * addresses hits its per-source cap; a flood from many slows newcomers down
 * (each try has a fair chance, and clients retry) instead of locking them out.
 *
 * @module
 */

/** The bounds, as `--max-startups START:RATE:FULL` and `--per-source-startups N` set them. */
export type StartupLimits = {
  /** Below this many handshakes in progress, every connection may start one. */
  readonly start: number;
  /** At `start`, this percentage of new connections is dropped; it rises linearly to 100 at `full`. */
  readonly rate: number;
  /** At this many handshakes in progress, every new connection is dropped. */
  readonly full: number;
  /** Handshakes in progress from one source network (IPv4 /32, IPv6 /64); 0: no cap. */
  readonly perSource: number;
};

/** The defaults: random early drop from 512, all dropped at 1,024, 32 per source. */
export const DEFAULT_STARTUP_LIMITS: StartupLimits = {
  start: 512,
  rate: 30,
  full: 1024,
  perSource: 32,
};

/** Why a connection was not allowed to start a handshake (each counted and logged). */
export type StartupRefusal = "per-source-startups" | "startups-full" | "startups-dropped";

/** A handshake admitted: release it when it ends. `evict` ends it early to make room. */
export type StartupTicket = { readonly source: string; readonly evict: () => void };

/**
 * The source network an address counts against: IPv4 addresses (and
 * IPv4-mapped IPv6) alone, IPv6 by their /64, which one subscriber usually holds.
 */
export function sourceBlock(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!address.includes(":")) return address;
  const [head, tail = ""] = address.split("::");
  const groups = [
    ...head.split(":").filter(Boolean),
    ...Array(8 - head.split(":").filter(Boolean).length - tail.split(":").filter(Boolean).length)
      .fill("0"),
    ...tail.split(":").filter(Boolean),
  ];
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/**
 * Counts handshakes in progress and decides on new ones. At FULL, a
 * newcomer from a source that holds fewer handshakes than the busiest source
 * takes the busiest source's oldest one (which is evicted): a flood from many
 * addresses slows newcomers down but cannot hold every slot against them.
 */
export class HandshakeAdmission {
  readonly #limits: StartupLimits;
  readonly #random: () => number;
  /** Handshakes in progress per source, oldest first. */
  readonly #bySource = new Map<string, Set<StartupTicket>>();
  #pending = 0;

  /** Decides with `limits`; `random` (in [0, 1)) is injected so tests are deterministic. */
  constructor(limits: StartupLimits = DEFAULT_STARTUP_LIMITS, random: () => number = Math.random) {
    if (!(limits.start <= limits.full) || limits.rate < 0 || limits.rate > 100) {
      throw new RangeError("Startup limits need start <= full and a rate from 0 to 100");
    }
    this.#limits = limits;
    this.#random = random;
  }

  /** Handshakes in progress now. */
  get pending(): number {
    return this.#pending;
  }

  /** The chance (0 to 1) that a new connection is dropped with `pending` handshakes in progress. */
  dropChance(pending = this.#pending): number {
    const { start, rate, full } = this.#limits;
    if (pending < start) return 0;
    if (pending >= full) return 1;
    return rate / 100 + (1 - rate / 100) * (pending - start) / (full - start);
  }

  /**
   * Admits a connection from `address` (counting it), or says why not.
   * `evict` is called if the handshake is later pushed out to make room.
   */
  admit(address: string, evict: () => void): StartupTicket | StartupRefusal {
    return this.admitFrom(sourceBlock(address), evict);
  }

  /**
   * Admits a handshake counted against `source`, any key the caller chooses
   * (a client counts relayed chats by the name that offered them).
   */
  admitFrom(source: string, evict: () => void): StartupTicket | StartupRefusal {
    const held = this.#bySource.get(source)?.size ?? 0;
    if (this.#limits.perSource > 0 && held >= this.#limits.perSource) {
      return "per-source-startups";
    }
    if (this.#pending >= this.#limits.full) {
      const busiest = this.#busiest();
      if (!busiest || busiest.size <= held + 1) return "startups-full";
      const oldest: StartupTicket = busiest.values().next().value!;
      this.release(oldest);
      oldest.evict();
    } else {
      const chance = this.dropChance();
      if (chance > 0 && this.#random() < chance) return "startups-dropped";
    }
    const ticket: StartupTicket = { source, evict };
    const tickets = this.#bySource.get(source) ?? new Set<StartupTicket>();
    tickets.add(ticket);
    this.#bySource.set(source, tickets);
    this.#pending++;
    return ticket;
  }

  /** A handshake ended (done, failed, timed out or evicted); safe to call twice. */
  release(ticket: StartupTicket): void {
    const tickets = this.#bySource.get(ticket.source);
    if (!tickets?.delete(ticket)) return;
    if (tickets.size === 0) this.#bySource.delete(ticket.source);
    this.#pending--;
  }

  #busiest(): Set<StartupTicket> | undefined {
    let busiest: Set<StartupTicket> | undefined;
    for (const tickets of this.#bySource.values()) {
      if (!busiest || tickets.size > busiest.size) busiest = tickets;
    }
    return busiest;
  }
}
