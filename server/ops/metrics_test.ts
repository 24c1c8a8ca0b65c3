import { assert, assertEquals } from "../../tests/assert.ts";
import { Metrics } from "./metrics.ts";

Deno.test("Metrics.render() writes Prometheus text with HELP, TYPE and labelled rejections", () => {
  const metrics = new Metrics();
  metrics.registrationsTotal = 3;
  metrics.reject("rate-limited");
  metrics.reject("rate-limited");
  metrics.reject("bad-request");
  const text = metrics.render(
    { usersOnline: 2, directoryUsersOnline: 5, storeUp: true, storeErrors: 4 },
    { sessionsOpen: 1, bytesTotal: 99, upgradedTotal: 3 },
  );
  const lines = text.trimEnd().split("\n");
  assert(lines.includes("# TYPE p2pchat_users_online gauge"));
  assert(lines.includes("p2pchat_users_online 2"));
  assert(lines.includes("p2pchat_registrations_total 3"));
  assertEquals(lines.filter((l) => l.startsWith("p2pchat_rejections_total{")), [
    'p2pchat_rejections_total{reason="bad-request"} 1',
    'p2pchat_rejections_total{reason="rate-limited"} 2',
  ]);
  assert(lines.includes("p2pchat_relay_bytes_total 99"));
  assert(lines.includes("p2pchat_relay_upgraded_total 3"));
  assert(lines.includes("p2pchat_directory_users_online 5"));
  assert(lines.includes("p2pchat_store_up 1"));
  assert(lines.includes("p2pchat_store_errors_total 4"));
  for (const line of lines.filter((l) => !l.startsWith("#"))) {
    assert(/^[a-z][a-z0-9_]*(\{[^}]*\})? \d+$/.test(line), line);
  }
});

// Hole punching (docs/protocol.md §11.2).
Deno.test("Metrics.render() counts punches by result, both labels from the start", () => {
  const metrics = new Metrics();
  const punched = () =>
    metrics.render({ usersOnline: 0, directoryUsersOnline: 0, storeUp: true, storeErrors: 0 })
      .split("\n").filter((l) => l.startsWith("p2pchat_punch_total"));
  assertEquals(punched(), [
    'p2pchat_punch_total{result="success"} 0',
    'p2pchat_punch_total{result="failed"} 0',
  ]);
  metrics.punched("success");
  metrics.punched("success");
  metrics.punched("failed");
  assertEquals(punched(), [
    'p2pchat_punch_total{result="success"} 2',
    'p2pchat_punch_total{result="failed"} 1',
  ]);
});
