/**
 * Reading what test and benchmark subprocesses print, and scraping /metrics.
 *
 * @module
 */

/** Calls `onLine` for each line of `stream` until it ends. */
export async function eachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    parts.forEach(onLine);
  }
  if (rest) onLine(rest);
}

/** The first `count` lines of `stream` (fewer if it ends); the rest of the stream is left unread. */
export async function firstLines(
  stream: ReadableStream<Uint8Array>,
  count: number,
): Promise<string[]> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (text.split("\n").length <= count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  return text.split("\n").slice(0, count);
}

/** One unlabelled value from a Prometheus text page at `url` (`.../metrics`); NaN if absent. */
export async function scrape(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  return Number(text.match(new RegExp(`^${name} ([0-9.eE+-]+)$`, "m"))?.[1] ?? NaN);
}

/** SIGKILLs every process (those already gone are skipped) and waits for them all to exit. */
export async function killAll(processes: Deno.ChildProcess[]): Promise<void> {
  for (const process of processes) {
    try {
      process.kill("SIGKILL");
    } catch {
      // Exited already.
    }
  }
  await Promise.allSettled(processes.map((p) => p.status));
}

/**
 * Asks each process to stop (SIGTERM) and waits for it, at most `limitMs`
 * in all; those still running are left for killAll.
 */
export async function stopAll(processes: Deno.ChildProcess[], limitMs: number): Promise<void> {
  for (const process of processes) {
    try {
      process.kill("SIGTERM");
    } catch {
      // Exited already.
    }
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise((resolve) => timer = setTimeout(resolve, limitMs));
  await Promise.race([Promise.allSettled(processes.map((p) => p.status)), late]);
  clearTimeout(timer);
}
