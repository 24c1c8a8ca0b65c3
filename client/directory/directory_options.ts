/**
 * What a directory session is set up with and what it tells: the options of
 * DirectoryClient and DirectoryLink, their timeouts, a registration's
 * answer, why a session ended.
 *
 * @module
 */
import type { Fingerprint, Identity, UnrevealedEphemeral } from "../../crypto/mod.ts";
import type { CloseReason, WirePrekey } from "../../protocol/mod.ts";
import type { EventSink } from "../core/mod.ts";
import type { CheckpointFile, PinFile } from "../trust/mod.ts";

/** Key transparency (docs/protocol.md §15.4): the checkpoint and proof a reply may carry. */
export type LogProof = { checkpoint?: string; proof?: string };

/** How often the client proves it is alive; the server drops it after three missed (90 s). */
export const DEFAULT_HEARTBEAT_MS = 30_000;
/** How long a request may wait for its reply. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Options for connecting to a directory. */
export type DirectoryClientOptions = {
  identity: Identity;
  /** Refuse the server unless it proves this key (pinned or given with --server-key). */
  expectedServer?: Fingerprint;
  handshakeTimeoutMs?: number;
  /** 0 disables heartbeats. */
  heartbeatMs?: number;
  requestTimeoutMs?: number;
  /** Called when another user asks this one to meet through the relay (at `relay`, if given). */
  onRelayOffer?: (
    offer: { from: string; token: string; relay?: string; budget?: number },
  ) => void;
  /** Called for each sealed message the directory holds for this user (§12). */
  onMail?: (mail: { id: number; sealed: string; stored: number }) => void;
  /**
   * How long the server has to send its first byte (a directory answers the
   * handshake at once); without it, only the handshake's own bound applies.
   */
  identifyWithinMs?: number;
  /** Keeps an ephemeral key a busy directory never answered, so retries generate none. */
  unrevealed?: UnrevealedEphemeral;
  /**
   * Hole punching (docs/protocol.md §11.2): connect from a port that a peer
   * connection can leave from too (a `node:net` socket with address reuse).
   */
  reusablePort?: boolean;
};

/** How long connecting to the directory may take before it counts as unreachable. */
export const DIRECTORY_CONNECT_TIMEOUT_MS = 10_000;

/** What a registration tells the client: its name as bound, and where the directory sees it. */
export type Registered = {
  name: string;
  address: string;
  port: number;
  /** The source port the directory sees (an older directory sends none). */
  observedPort?: number;
};

/** Why the session with the directory ended. */
export type DirectoryClosed = { reason: CloseReason | "lost" | "closed"; message: string };

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
