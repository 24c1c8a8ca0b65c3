/**
 * Fair handshake admission, against a real `serve` process: a flood of
 * silent connections from many source addresses slows a newcomer down but
 * does not lock it out.
 */
import { assert } from "./assert.ts";
import { startClient, startServe } from "../harness/mod.ts";
import { startFlood } from "./flood.ts";

Deno.test({
  name: "serve: a flood of silent connections from 24 addresses does not lock a newcomer out",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startServe({
      host: "0.0.0.0",
      args: [
        "--max-startups",
        "32:30:64",
        "--per-source-startups",
        "8",
        "--max-per-address",
        "0",
        "--metrics",
        "127.0.0.1:0",
      ],
    });
    // 24 addresses × 12 silent connections: three times what the server lets start at once.
    const flood = startFlood(server.port, { addresses: 24, perAddress: 12 });
    const metrics = `${server.metricsUrl}/metrics`;
    try {
      await new Promise((r) => setTimeout(r, 2000));
      const started = performance.now();
      const newcomer = await startClient("newcomer", server.port);
      await newcomer.waitFor((e) => e.type === "ready", 8000);
      const seconds = (performance.now() - started) / 1000;
      await newcomer.kill();
      console.log(
        `newcomer registered in ${
          seconds.toFixed(2)
        } s while the flood renewed ${flood.renewed()} connections`,
      );
      assert(seconds < 5, `registered after ${seconds.toFixed(2)} s`);
      assert(flood.renewed() > 0, "the server pushed flood connections out");
      const text = await (await fetch(metrics)).text();
      assert(/reason="startups-(full|evicted|dropped)"/.test(text), "drops are counted by reason");
      assert(/reason="per-source-startups"/.test(text));
    } finally {
      await flood.stop();
      await server.stop();
    }
  },
});
