/**
 * The client's doors for peers who come to it: connections on its listener
 * and relay offers the directory passes on. Each is admitted at the gate
 * first (per source or offering name, in total, with eviction of the
 * busiest), then at the door (the handshake and hello), and holds its place
 * at the gate until it is shown as a request or refused.
 *
 * @module
 */
import { sourceBlock } from "../admission/mod.ts";
import { connTransport, type Identity, type Transport } from "../crypto/mod.ts";
import { IncomingGate, type PathPolicy } from "./chat/mod.ts";
import type { ChatRunner } from "./chat_runner.ts";
import type { EventSink } from "./core/mod.ts";
import type { DirectoryLink } from "./directory/mod.ts";
import type { GroupService } from "./groups/mod.ts";
import { admitPeer, type Arrival } from "./peer_door.ts";
import type { PeerTrust, TrustAction } from "./trust/mod.ts";

/** What the doors need of the session. */
export type IncomingOptions = {
  readonly identity: Identity;
  readonly link: DirectoryLink;
  readonly trust: PeerTrust;
  /** Where the trust rules' warnings about an arrival go. */
  readonly sink: EventSink;
  readonly policy: PathPolicy;
  /** The chats: an admitted peer goes to them, or resumes one of theirs. */
  readonly runner: ChatRunner;
  /** Groups (issue 24): where a group link goes; without them, it is declined. */
  readonly groups: GroupService | undefined;
  /** True once the user quit: nobody more is let in. */
  readonly quitting: () => boolean;
  /** Carries out the trust rules' actions. */
  readonly apply: (actions: readonly TrustAction[], out: EventSink) => void;
  /** Reports a failure of a connection nobody asked for. */
  readonly report: (error: unknown) => void;
};

/** The listener's and the relay's ways in, behind one gate. */
export class IncomingPeers {
  readonly #o: IncomingOptions;
  readonly #gate = new IncomingGate();

  /** Doors that admit peers into `options.runner`. */
  constructor(options: IncomingOptions) {
    this.#o = options;
  }

  /** Accepts peer connections from `listener` until it closes. */
  async serve(listener: Deno.TcpListener): Promise<void> {
    for await (const conn of listener) {
      const address = conn.remoteAddr.hostname;
      const transport = connTransport(conn);
      const ticket = this.#o.quitting()
        ? "quitting"
        : this.#gate.direct(address, () => transport.close());
      if (typeof ticket === "string") {
        transport.close();
        continue;
      }
      this.#answer(transport, { path: "direct", ticket, source: sourceBlock(address) });
    }
  }

  /** Meets a peer at the relay it offered, admitted per offering name. */
  acceptRelayOffer(offer: { from: string; token: string; relay?: string }): void {
    const at = this.#o.link.relayAt(offer.relay);
    if (!at || this.#o.quitting() || !this.#o.policy.takesOffers) return;
    const stop = new AbortController();
    const ticket = this.#gate.relayed(offer.from.toLowerCase(), () => stop.abort());
    if (typeof ticket === "string") return;
    // Files (issue 23): joined through the link, which counts the relay's bytes.
    this.#o.link.joinRelay(at, offer.token, stop.signal).then((transport) => {
      stop.signal.addEventListener("abort", () => transport.close(), { once: true });
      this.#answer(transport, { path: "relay", ticket, offer });
    }, (error) => {
      ticket.release();
      this.#o.report(error);
    });
  }

  /**
   * Admits a peer connection at the door; it holds its place at the gate
   * until it is shown as a request or refused.
   */
  async #answer(transport: Transport, arrival: Arrival): Promise<void> {
    const groups = this.#o.groups;
    let admitted;
    try {
      admitted = await admitPeer(transport, arrival, {
        identity: this.#o.identity,
        link: this.#o.link,
        trust: this.#o.trust,
        apply: (actions) => this.#o.apply(actions, this.#o.sink),
        resume: (name, channel, hello) => this.#o.runner.resume(name, channel, hello),
        // Groups (issue 24): a group link goes to the groups, never shown as a request.
        group: groups && ((arrival) => groups.arrive(arrival)),
        gossip: (peer, theirs) => void this.#o.link.gossip(peer, theirs),
      });
    } catch (error) {
      return this.#o.report(error);
    } finally {
      arrival.ticket.release();
    }
    if (admitted) this.#o.runner.admitted(admitted, arrival);
  }
}
