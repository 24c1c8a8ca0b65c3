/**
 * A slow but working path for the NAT test: accepts on LISTEN (host:port),
 * connects each connection to TARGET, and passes bytes on both ways after
 * DELAY_MS each, in order. Runs until killed.
 *
 * Usage: slow_proxy.ts LISTEN TARGET DELAY_MS
 */
const [listen, target, delayText] = Deno.args;
const delay = Number(delayText);
const split = (hostPort: string) => {
  const at = hostPort.lastIndexOf(":");
  return { hostname: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)) };
};

/** Copies `from` to `to`, each chunk `delay` ms late, order kept. */
async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  let last = Promise.resolve();
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (let n = await from.read(buffer); n !== null; n = await from.read(buffer)) {
      const chunk = buffer.slice(0, n);
      const due = performance.now() + delay;
      last = last.then(async () => {
        await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
        await to.write(chunk).catch(() => {});
      });
    }
  } catch { /* closed */ }
  await last;
  try {
    to.close();
  } catch { /* closed */ }
}

const listener = Deno.listen(split(listen));
console.log("ready");
for await (const inbound of listener) {
  Deno.connect(split(target)).then((outbound) => {
    pump(inbound, outbound);
    pump(outbound, inbound);
  }, () => inbound.close());
}
