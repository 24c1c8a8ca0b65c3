/**
 * Counters the server keeps and their Prometheus text exposition.
 *
 * @module
 */
import { PUNCH_RESULTS, type PunchResult } from "../../protocol/mod.ts";

/** Why a connection or request was refused, as counted in `p2pchat_rejections_total`. */
export type RejectionReason =
  | "server-full"
  | "per-address-limit"
  | "per-source-startups"
  | "startups-full"
  | "startups-dropped"
  | "startups-evicted"
  | "rate-limited"
  | "name-invalid"
  | "name-taken"
  | "bad-request"
  | "slow-reader"
  | "idle"
  | "out-of-descriptors"
  | "accept-error"
  | "relay-limit";

/** How often the event loop's lateness is sampled. */
export const LAG_TICK_MS = 500;
/** Handshake durations kept for the percentiles /metrics shows. */
const HANDSHAKE_SAMPLES = 1024;

/** What admission did with a newcomer, as counted in `p2pchat_admission_total`. */
export type AdmissionResult = "admitted" | "busy" | "refused";

/** The capacity gate's state, as /metrics shows it. */
export type CapacityView = { limit: number; inProgress: number; rate: number };
/** Over how long the worst lateness is reported. */
const LAG_WINDOW_MS = 10_000;

/** The server's counters. */
export class Metrics {
  /** Client connections open now, registered or not. */
  connectionsOpen = 0;
  /** Successful registrations. */
  registrationsTotal = 0;
  /** Sealed messages taken for offline users. */
  mailHeld = 0;
  /** Connections whose secure handshake failed. */
  handshakeFailuresTotal = 0;
  /** Refused connections and requests, by reason. */
  readonly rejections = new Map<RejectionReason, number>();
  /** The longest the event loop was late over the last LAG_WINDOW_MS (how starved the process is). */
  loopLagMs = 0;
  /** Hole punching (§11.2): chats whose punch ended, as their clients reported, by result. */
  readonly punchTotal: Record<PunchResult, number> = { success: 0, failed: 0 };
  #lagWindow: number[] = [];
  /** Newcomers by what admission did: admitted, told Busy, refused (flood limits). */
  readonly admissions: Record<AdmissionResult, number> = { admitted: 0, busy: 0, refused: 0 };
  /** Sessions the server ended because their client went silent past --idle-timeout. */
  idleEndedTotal = 0;
  /** The latest handshake durations (ms), oldest overwritten first. */
  readonly #handshakes: number[] = [];
  #handshakeAt = 0;

  /** Records one completed handshake's duration, first byte to last. */
  handshake(ms: number): void {
    if (this.#handshakes.length < HANDSHAKE_SAMPLES) this.#handshakes.push(ms);
    else this.#handshakes[this.#handshakeAt++ % HANDSHAKE_SAMPLES] = ms;
  }

  /** The `q` quantile (0 to 1) of the latest handshake durations, in seconds; 0 before any. */
  handshakeQuantile(q: number): number {
    if (this.#handshakes.length === 0) return 0;
    const sorted = [...this.#handshakes].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1000;
  }

  /** Records how late a LAG_TICK_MS timer fired; keeps the worst over the window. */
  tick(lateMs: number): void {
    this.#lagWindow.push(Math.max(0, lateMs));
    if (this.#lagWindow.length > LAG_WINDOW_MS / LAG_TICK_MS) this.#lagWindow.shift();
    this.loopLagMs = Math.max(...this.#lagWindow);
  }

  /** Hole punching: counts one chat's punch as its client reported it. */
  punched(result: PunchResult): void {
    this.punchTotal[result]++;
  }

  /** Counts one rejection. */
  reject(reason: RejectionReason): void {
    this.rejections.set(reason, (this.rejections.get(reason) ?? 0) + 1);
  }

  /**
   * Prometheus text format. `users` comes from the directory's state, so that
   * `usersOnline` equals what `list` sees on this instance, and
   * `directoryUsersOnline` what it sees on all of them.
   */
  render(
    users: {
      usersOnline: number;
      directoryUsersOnline: number;
      storeUp: boolean;
      storeErrors: number;
    },
    relay: { sessionsOpen: number; bytesTotal: number; upgradedTotal: number } = {
      sessionsOpen: 0,
      bytesTotal: 0,
      upgradedTotal: 0,
    },
    capacity: CapacityView = { limit: 0, inProgress: 0, rate: 0 },
  ): string {
    const { rss, heapUsed, external } = Deno.memoryUsage();
    const rejections = [...this.rejections].sort().map(([reason, n]) =>
      [`{reason="${reason}"}`, n] as const
    );
    const lines = [
      ...metric(
        "p2pchat_users_online",
        "gauge",
        "Users registered and online on this instance now.",
        users.usersOnline,
      ),
      ...metric(
        "p2pchat_directory_users_online",
        "gauge",
        "Users online on every instance of the directory.",
        users.directoryUsersOnline,
      ),
      ...metric(
        "p2pchat_store_up",
        "gauge",
        "Whether the store answers (1) or not (0).",
        users.storeUp ? 1 : 0,
      ),
      ...metric(
        "p2pchat_store_errors_total",
        "counter",
        "Store requests that failed.",
        users.storeErrors,
      ),
      ...metric(
        "p2pchat_connections_open",
        "gauge",
        "Open client connections, registered or not.",
        this.connectionsOpen,
      ),
      ...metric(
        "p2pchat_registrations_total",
        "counter",
        "Successful registrations.",
        this.registrationsTotal,
      ),
      ...metric(
        "p2pchat_mail_deposited_total",
        "counter",
        "Sealed messages taken for users who were offline.",
        this.mailHeld,
      ),
      ...metric(
        "p2pchat_rejections_total",
        "counter",
        "Connections or requests refused, by reason.",
        rejections,
      ),
      ...metric(
        "p2pchat_handshake_failures_total",
        "counter",
        "Connections whose secure handshake failed.",
        this.handshakeFailuresTotal,
      ),
      ...metric(
        "p2pchat_admission_total",
        "counter",
        "Newcomers by what admission did: admitted to a handshake, told Busy with a wait (over capacity, or turned away in a crowd), refused (per-source and per-address limits).",
        (["admitted", "busy", "refused"] as const).map((r) =>
          [`{result="${r}"}`, this.admissions[r]] as const
        ),
      ),
      ...metric(
        "p2pchat_sessions_idle_total",
        "counter",
        "Sessions ended because their client sent nothing for --idle-timeout.",
        this.idleEndedTotal,
      ),
      ...metric(
        "p2pchat_handshake_seconds",
        "gauge",
        "Handshake duration, first byte to last, over the latest 1,024 (quantiles).",
        [0.5, 0.9, 0.99].map((q) => [`{quantile="${q}"}`, this.handshakeQuantile(q)] as const),
      ),
      ...metric(
        "p2pchat_admission_limit",
        "gauge",
        "Handshakes the directory runs at once now, as learnt from how fast they finish.",
        capacity.limit,
      ),
      ...metric(
        "p2pchat_handshakes_in_progress",
        "gauge",
        "Handshakes under way now.",
        capacity.inProgress,
      ),
      ...metric(
        "p2pchat_handshake_rate",
        "gauge",
        "Handshakes finished per second, as the capacity gate measures its capacity.",
        capacity.rate,
      ),
      ...metric(
        "p2pchat_relay_sessions_open",
        "gauge",
        "Chats relayed through this server now.",
        relay.sessionsOpen,
      ),
      ...metric(
        "p2pchat_relay_bytes_total",
        "counter",
        "Bytes relayed (ciphertext), both directions.",
        relay.bytesTotal,
      ),
      ...metric(
        "p2pchat_relay_upgraded_total",
        "counter",
        "Relayed chats that moved to a direct connection.",
        relay.upgradedTotal,
      ),
      // Hole punching (§11.2).
      ...metric(
        "p2pchat_punch_total",
        "counter",
        "Relayed chats whose hole punch ended, as a client reported, by result.",
        PUNCH_RESULTS.map((result) => [`{result="${result}"}`, this.punchTotal[result]] as const),
      ),
      ...metric(
        "process_resident_memory_bytes",
        "gauge",
        "Resident memory of the server process.",
        rss,
      ),
      ...metric("p2pchat_heap_used_bytes", "gauge", "JavaScript heap in use.", heapUsed),
      ...metric(
        "p2pchat_event_loop_lag_seconds",
        "gauge",
        "The longest the event loop ran late over the last 10 s (over ~1 s: the process is overloaded).",
        this.loopLagMs / 1000,
      ),
      ...metric(
        "p2pchat_external_memory_bytes",
        "gauge",
        "Memory held outside the JavaScript heap (buffers).",
        external,
      ),
    ];
    return lines.join("\n") + "\n";
  }
}

/** One metric's HELP, TYPE and sample lines; labelled samples come as `[labels, value]` pairs. */
function metric(
  name: string,
  type: "gauge" | "counter",
  help: string,
  value: number | readonly (readonly [string, number])[],
): string[] {
  const samples = typeof value === "number"
    ? [`${name} ${value}`]
    : value.map(([labels, v]) => `${name}${labels} ${v}`);
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples];
}
