import { assert, assertEquals } from "../tests/assert.ts";
import { HandshakeAdmission, sourceBlock, type StartupTicket } from "./handshake_admission.ts";

const noop = () => {};
const ticket = (result: StartupTicket | string): StartupTicket => {
  assert(typeof result !== "string", `refused: ${result}`);
  return result;
};

Deno.test("HandshakeAdmission caps one source network, and frees its slots as handshakes end", () => {
  const admission = new HandshakeAdmission({ start: 100, rate: 30, full: 200, perSource: 2 });
  const first = ticket(admission.admit("10.0.0.1", noop));
  ticket(admission.admit("10.0.0.1", noop));
  assertEquals(admission.admit("10.0.0.1", noop), "per-source-startups");
  ticket(admission.admit("10.0.0.2", noop));
  ticket(admission.admit("2001:db8:1:2::5", noop));
  ticket(admission.admit("2001:db8:1:2:ffff::9", noop));
  assertEquals(admission.admit("2001:db8:1:2::7", noop), "per-source-startups", "one /64");
  admission.release(first);
  admission.release(first);
  ticket(admission.admit("10.0.0.1", noop));
  assertEquals(admission.pending, 5);
});

Deno.test("HandshakeAdmission drops at random from start, rising to all at full", () => {
  const admission = new HandshakeAdmission({ start: 10, rate: 30, full: 20, perSource: 0 });
  assertEquals(admission.dropChance(9), 0);
  assertEquals(admission.dropChance(10), 0.3);
  assertEquals(Math.round(admission.dropChance(15) * 100), 65);
  assertEquals(admission.dropChance(20), 1);
  let roll = 0.99;
  const limits = { start: 1, rate: 30, full: 3, perSource: 0 };
  const lucky = new HandshakeAdmission(limits, () => roll);
  ticket(lucky.admit("a", noop));
  ticket(lucky.admit("a", noop));
  roll = 0;
  assertEquals(lucky.admit("a", noop), "startups-dropped");
  roll = 0.99;
  ticket(lucky.admit("a", noop));
  assertEquals(lucky.admit("a", noop), "startups-full", "at full, one source cannot evict itself");
});

Deno.test("HandshakeAdmission at full lets a newcomer take the busiest source's oldest slot", () => {
  const evicted: string[] = [];
  const admission = new HandshakeAdmission({ start: 4, rate: 0, full: 4, perSource: 0 });
  for (const [i, address] of ["10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2"].entries()) {
    ticket(admission.admit(address, () => evicted.push(`${address}#${i}`)));
  }
  ticket(admission.admit("192.0.2.9", noop));
  assertEquals(evicted, ["10.0.0.1#0"], "the oldest of the busiest source");
  assertEquals(admission.pending, 4);
  ticket(admission.admit("192.0.2.10", noop));
  assertEquals(evicted, ["10.0.0.1#0", "10.0.0.1#1"]);
  assertEquals(admission.admit("192.0.2.10", noop), "startups-full", "no source holds more than 2");
});

Deno.test("sourceBlock() keeps IPv4 whole, folds IPv6 to its /64 and unmaps IPv4-mapped", () => {
  assertEquals(sourceBlock("192.0.2.7"), "192.0.2.7");
  assertEquals(sourceBlock("::ffff:192.0.2.7"), "192.0.2.7");
  assertEquals(sourceBlock("2001:0db8:0001:0002:0000:0000:0000:0005"), "2001:db8:1:2::/64");
  assertEquals(sourceBlock("2001:db8:1:2::5"), "2001:db8:1:2::/64");
  assertEquals(sourceBlock("::1"), "0:0:0:0::/64");
});
