/**
 * Parsers for flag values, each throwing UsageError with the flag's name.
 *
 * @module
 */
import { UsageError } from "./command.ts";

/** An integer in [min, max]. */
export function parseInteger(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The largest whole unit that writes `ms` exactly: `30s`, `30d`, `500ms` (parseDuration reads it back). */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    if (ms >= UNITS[unit] && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/** A duration such as `500ms`, `30s`, `5m`, `12h`, `30d`; a bare number means seconds. */
export function parseDuration(flag: string, text: string): number {
  const match = text.match(/^(\d+)(ms|s|m|h|d)?$/);
  if (!match || Number(match[1]) === 0) {
    throw new UsageError(`--${flag} must be a duration such as 30s, 5m, 12h or 30d, got "${text}"`);
  }
  return Number(match[1]) * UNITS[match[2] ?? "s"];
}

/** `HOST:PORT`, `[IPv6]:PORT`, or `:PORT` (host defaulting to `defaultHost`). */
export function parseHostPort(
  flag: string,
  text: string,
  defaultHost: string,
): { hostname: string; port: number } {
  const match = text.match(/^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]*)):(\d+)$/);
  if (!match) {
    throw new UsageError(`--${flag} must be HOST:PORT (e.g. 127.0.0.1:7447), got "${text}"`);
  }
  const hostname = match[1] ?? (match[2] || defaultHost);
  const port = Number(match[3]);
  if (port > 65535) {
    throw new UsageError(
      `the port in --${flag} must be a whole number from 0 to 65535, got "${
        match[3]
      }" in "${text}"`,
    );
  }
  return { hostname, port };
}

/**
 * One or more servers, comma-separated: `HOST`, `HOST:PORT`, `[IPv6]:PORT`
 * or a bare IPv6 address; a missing port is `defaultPort`. `flag` names
 * where the text came from in messages (`--server`, `$P2PCHAT_SERVER`).
 */
export function parseServerList(
  flag: string,
  text: string,
  defaultPort: number,
): { hostname: string; port: number }[] {
  const entries = text.split(",").map((entry) => entry.trim());
  if (entries.some((entry) => entry === "")) {
    throw new UsageError(
      `${flag} must be HOST[:PORT] (several separated by commas), got "${text}"`,
    );
  }
  return entries.map((entry) => {
    const match = entry.match(/^\[([0-9a-fA-F:.]+)\](?::(.*))?$/) ??
      (entry.split(":").length > 2
        ? [entry, entry, undefined]
        : entry.match(/^([^:\[\]]+)(?::(.*))?$/));
    if (!match) {
      throw new UsageError(
        `${flag} must be HOST[:PORT] (several separated by commas), got "${entry}"`,
      );
    }
    const port = match[2];
    if (port !== undefined && (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)) {
      throw new UsageError(
        `the port in ${flag} must be a whole number from 1 to 65535, got "${port}"`,
      );
    }
    return { hostname: match[1], port: port === undefined ? defaultPort : Number(port) };
  });
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(
  flag: string,
  text: string,
  choices: readonly T[],
): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`--${flag} must be one of ${choices.join(", ")}, got "${text}"`);
  }
  return text as T;
}

const SIZE_UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** The largest whole unit that writes `bytes` exactly: `64M`, `4K`, `100` (parseSize reads it back). */
export function formatSize(bytes: number): string {
  for (const unit of ["G", "M", "K"] as const) {
    if (bytes >= SIZE_UNITS[unit] && bytes % SIZE_UNITS[unit] === 0) {
      return `${bytes / SIZE_UNITS[unit]}${unit}`;
    }
  }
  return String(bytes);
}

/** A byte count such as `65536`, `64K`, `64M` or `1G`. */
export function parseSize(flag: string, text: string): number {
  const match = text.match(/^(\d+)([KMG]?)$/i);
  if (!match || Number(match[1]) === 0) {
    throw new UsageError(`--${flag} must be a size such as 65536, 64K, 64M or 1G, got "${text}"`);
  }
  return Number(match[1]) * SIZE_UNITS[match[2].toUpperCase()];
}
