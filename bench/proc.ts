/**
 * What /proc says about a process: resident memory and CPU time (Linux).
 *
 * @module
 */

/** Resident set size of `pid`, in KiB. */
export function rssKib(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1] ?? NaN);
}

/** User plus system CPU time of `pid`, in seconds. */
export function cpuSeconds(pid: number): number {
  return systemAndUser(pid).reduce((a, b) => a + b, 0);
}

/** The kernel's share of `pid`'s CPU time so far, in seconds (sockets, files, memory). */
export function systemCpuSeconds(pid: number): number {
  return systemAndUser(pid)[0];
}

function systemAndUser(pid: number): [number, number] {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name (which may hold spaces) start after ") ".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [Number(fields[12]) / 100, Number(fields[11]) / 100];
}
