import { DirectoryError, READY_FRAME } from "../../protocol/mod.ts";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { memoryPair } from "../../crypto/mod.ts";
import { fromHex } from "../../crypto/mod.ts";
import { Logger } from "../ops/mod.ts";
import { RelayBroker, type RelayLimits } from "./relay.ts";

const limits: RelayLimits = {
  enabled: true,
  maxSessions: 2,
  maxPerClient: 1,
  maxBytes: 100,
  tokenTtlMs: 1000,
};
const quiet = new Logger("text", { write: () => {} });

function broker(overrides: Partial<RelayLimits> = {}, clock = { now: 0 }): RelayBroker {
  return new RelayBroker({ ...limits, ...overrides }, quiet, () => clock.now);
}

Deno.test("RelayBroker refuses when disabled, past the per-client bound and past the server bound", async () => {
  const off = broker({ enabled: false });
  await assertRejects(
    () => Promise.resolve().then(() => off.offer({}, {})),
    DirectoryError,
    "relay-disabled",
  );
  const b = broker({ maxPerClient: 1, maxSessions: 2 });
  const [alice, bob, carol, dave, erin, frank] = [{}, {}, {}, {}, {}, {}];
  b.offer(alice, bob);
  await assertRejects(
    () => Promise.resolve().then(() => b.offer(alice, carol)),
    DirectoryError,
    "relay-limit",
  );
  b.offer(carol, dave);
  await assertRejects(
    () => Promise.resolve().then(() => b.offer(erin, frank)),
    DirectoryError,
    "relay-limit",
  );
  b.forget(alice);
  b.offer(erin, frank);
});

Deno.test("RelayBroker pairs two joins with one token, copies bytes, and stops past the byte bound", async () => {
  const b = broker({ maxBytes: 10 });
  const token = b.offer({}, {});
  const [aPeer, aServer] = memoryPair();
  const [bPeer, bServer] = memoryPair();
  const first = b.join(aServer, fromHex(token), 1);
  const second = b.join(bServer, fromHex(token), 2);
  assertEquals(await aPeer.read(), READY_FRAME);
  assertEquals(await bPeer.read(), READY_FRAME);
  assertEquals(b.sessionsOpen, 1);
  await aPeer.write(new Uint8Array([1, 2, 3]));
  assertEquals(await bPeer.read(), new Uint8Array([1, 2, 3]));
  await bPeer.write(new Uint8Array(20));
  await Promise.all([first, second]);
  assertEquals(b.sessionsOpen, 0);
  assertEquals(await aPeer.read(), null, "cut off past the bound");
  assert(b.bytesTotal >= 23);
});

Deno.test("RelayBroker closes a join with an unknown token, and one whose partner never comes", async () => {
  const clock = { now: 0 };
  const b = broker({ tokenTtlMs: 50 }, clock);
  const [peer, server] = memoryPair();
  await b.join(server, new Uint8Array(16), 1);
  assertEquals(await peer.read(), null);
  const token = b.offer({}, {});
  const [lonely, lonelyServer] = memoryPair();
  const started = Date.now();
  await b.join(lonelyServer, fromHex(token), 2);
  assert(Date.now() - started < 2000);
  assertEquals(await lonely.read(), null);
  const [late, lateServer] = memoryPair();
  await b.join(lateServer, fromHex(token), 3);
  assertEquals(await late.read(), null, "the token was used up by the timeout");
});

Deno.test("RelayBroker counts a relayed chat that moved to direct once, and only from one of its ends", async () => {
  const clock = { now: 0 };
  const b = broker({}, clock);
  const [alice, bob, mallory] = [{}, {}, {}];
  const token = b.offer(alice, bob);
  b.upgraded(alice, token);
  assertEquals(b.upgradedTotal, 0, "an offer not yet relayed is not a relay");
  const [aPeer, aServer] = memoryPair();
  const [bPeer, bServer] = memoryPair();
  const relaying = Promise.all([
    b.join(aServer, fromHex(token), 1),
    b.join(bServer, fromHex(token), 2),
  ]);
  await aPeer.read();
  b.upgraded(mallory, token);
  assertEquals(b.upgradedTotal, 0, "a stranger cannot count it");
  b.upgraded(alice, token);
  b.upgraded(bob, token);
  assertEquals(b.upgradedTotal, 1, "counted once");
  aPeer.close();
  bPeer.close();
  await relaying;
});
