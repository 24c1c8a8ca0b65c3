/**
 * Who may start talking to this client (docs/protocol.md §10.1), decided
 * before any work is done for them, as the directory decides for its own
 * listener: connections to the listening port are admitted per source
 * network (IPv4 address, IPv6 /64) and in total, with random early drop and
 * eviction of the busiest source when full; relay offers, which come from
 * registered users through the directory, are counted apart, per name that
 * offered them, so a flood of anonymous sockets never blocks them. Each
 * admitted connection has PEER_ADMISSION_MS to finish its handshake and say
 * who it is.
 *
 * @module
 */
import {
  HandshakeAdmission,
  type StartupLimits,
  type StartupRefusal,
} from "../../admission/mod.ts";

/** Direct connections in their handshake at once: 4 per source, early drop from 8, all at 32. */
export const PEER_STARTUPS: StartupLimits = { start: 8, rate: 30, full: 32, perSource: 4 };
/** Relayed chats being opened at once: 2 per offering name, 16 in all. */
export const RELAYED_STARTUPS: StartupLimits = { start: 16, rate: 0, full: 16, perSource: 2 };
/**
 * How long an incoming connection has from its first byte to its hello (the
 * handshake's 2.5 round trips and one message): ample on any real path, and
 * short enough that silent sockets give their slot back soon.
 */
export const PEER_ADMISSION_MS = 5_000;

/** An admitted connection's place: give it back when admission is over. */
export type GateTicket = { release(): void };

/** The client's two admissions: direct connections and relayed ones. */
export class IncomingGate {
  readonly #direct: HandshakeAdmission;
  readonly #relayed: HandshakeAdmission;

  /** A gate with the default limits; `random` draws the early drops (tests fix it). */
  constructor(random: () => number = Math.random) {
    this.#direct = new HandshakeAdmission(PEER_STARTUPS, random);
    this.#relayed = new HandshakeAdmission(RELAYED_STARTUPS, random);
  }

  /** Admits a connection from `address`; `evict` ends it if a quieter source needs its place. */
  direct(address: string, evict: () => void): GateTicket | StartupRefusal {
    return this.#ticket(this.#direct, this.#direct.admit(address, evict));
  }

  /** Admits a relayed chat offered by the registered name `offeredBy` (folded). */
  relayed(offeredBy: string, evict: () => void): GateTicket | StartupRefusal {
    return this.#ticket(this.#relayed, this.#relayed.admitFrom(offeredBy, evict));
  }

  #ticket(
    admission: HandshakeAdmission,
    result: ReturnType<HandshakeAdmission["admit"]>,
  ): GateTicket | StartupRefusal {
    if (typeof result === "string") return result;
    return { release: () => admission.release(result) };
  }
}
