/**
 * Counters the server keeps and their Prometheus text exposition.
 *
 * @module
 */

/** Why a connection or request was refused, as counted in `p2pchat_rejections_total`. */
export type RejectionReason =
  | "server-full"
  | "per-address-limit"
  | "handshake-backlog"
  | "rate-limited"
  | "name-invalid"
  | "name-taken"
  | "bad-request"
  | "slow-reader"
  | "idle"
  | "out-of-descriptors"
  | "relay-limit";

/** The server's counters. */
export class Metrics {
  connectionsOpen = 0;
  registrationsTotal = 0;
  handshakeFailuresTotal = 0;
  readonly rejections = new Map<RejectionReason, number>();

  /** Counts one rejection. */
  reject(reason: RejectionReason): void {
    this.rejections.set(reason, (this.rejections.get(reason) ?? 0) + 1);
  }

  /** Prometheus text format; `usersOnline` comes from the registry so it equals what `list` sees. */
  render(
    usersOnline: number,
    relay: { sessionsOpen: number; bytesTotal: number } = { sessionsOpen: 0, bytesTotal: 0 },
  ): string {
    const lines = [
      "# HELP p2pchat_users_online Users registered and online now.",
      "# TYPE p2pchat_users_online gauge",
      `p2pchat_users_online ${usersOnline}`,
      "# HELP p2pchat_connections_open Open client connections, registered or not.",
      "# TYPE p2pchat_connections_open gauge",
      `p2pchat_connections_open ${this.connectionsOpen}`,
      "# HELP p2pchat_registrations_total Successful registrations.",
      "# TYPE p2pchat_registrations_total counter",
      `p2pchat_registrations_total ${this.registrationsTotal}`,
      "# HELP p2pchat_rejections_total Connections or requests refused, by reason.",
      "# TYPE p2pchat_rejections_total counter",
      ...[...this.rejections].sort().map(([reason, n]) =>
        `p2pchat_rejections_total{reason="${reason}"} ${n}`
      ),
      "# HELP p2pchat_handshake_failures_total Connections whose secure handshake failed.",
      "# TYPE p2pchat_handshake_failures_total counter",
      `p2pchat_handshake_failures_total ${this.handshakeFailuresTotal}`,
      "# HELP p2pchat_relay_sessions_open Chats relayed through this server now.",
      "# TYPE p2pchat_relay_sessions_open gauge",
      `p2pchat_relay_sessions_open ${relay.sessionsOpen}`,
      "# HELP p2pchat_relay_bytes_total Bytes relayed (ciphertext), both directions.",
      "# TYPE p2pchat_relay_bytes_total counter",
      `p2pchat_relay_bytes_total ${relay.bytesTotal}`,
      ...memoryLines(),
    ];
    return lines.join("\n") + "\n";
  }
}

function memoryLines(): string[] {
  const { rss, heapUsed, external } = Deno.memoryUsage();
  return [
    "# HELP process_resident_memory_bytes Resident memory of the server process.",
    "# TYPE process_resident_memory_bytes gauge",
    `process_resident_memory_bytes ${rss}`,
    "# HELP p2pchat_heap_used_bytes JavaScript heap in use.",
    "# TYPE p2pchat_heap_used_bytes gauge",
    `p2pchat_heap_used_bytes ${heapUsed}`,
    "# HELP p2pchat_external_memory_bytes Memory held outside the JavaScript heap (buffers).",
    "# TYPE p2pchat_external_memory_bytes gauge",
    `p2pchat_external_memory_bytes ${external}`,
  ];
}
