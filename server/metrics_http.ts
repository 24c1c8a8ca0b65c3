/**
 * The metrics endpoint: Prometheus text at /metrics, `ok` at /healthz.
 *
 * @module
 */

/** Serves metrics until `shutdown()`; `render` is called per scrape. */
export function serveMetrics(
  address: { hostname: string; port: number },
  render: () => string,
): { addr: Deno.NetAddr; shutdown(): Promise<void> } {
  const server = Deno.serve(
    { hostname: address.hostname, port: address.port, onListen() {} },
    (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/metrics") {
        return new Response(render(), { headers: { "content-type": "text/plain; version=0.0.4" } });
      }
      if (path === "/healthz") return new Response("ok\n");
      return new Response("not found\n", { status: 404 });
    },
  );
  return { addr: server.addr, shutdown: () => server.shutdown() };
}
