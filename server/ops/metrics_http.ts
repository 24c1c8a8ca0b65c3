/**
 * The metrics endpoint: Prometheus text at /metrics, `ok` at /healthz.
 *
 * @module
 */

/**
 * Serves metrics until `shutdown()`; `render` is called per scrape; /healthz
 * is 503 while `healthy()` is false. Throws what Deno.serve throws when it
 * cannot listen (the caller names the flag).
 */
export function serveMetrics(
  address: { hostname: string; port: number },
  render: () => string,
  healthy: () => boolean = () => true,
): { addr: Deno.NetAddr; shutdown(): Promise<void> } {
  const server = Deno.serve(
    { hostname: address.hostname, port: address.port, onListen() {} },
    (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/metrics") {
        return new Response(render(), { headers: { "content-type": "text/plain; version=0.0.4" } });
      }
      if (path === "/healthz") {
        return healthy()
          ? new Response("ok\n")
          : new Response("store unavailable\n", { status: 503 });
      }
      return new Response("not found\n", { status: 404 });
    },
  );
  return { addr: server.addr, shutdown: () => server.shutdown() };
}
