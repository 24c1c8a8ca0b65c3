/**
 * Two real chats over an in-memory "relay", each with its own path upgrader
 * and puncher; the punched connection is an in-memory pair handed out by a
 * fake network once both sides dialed each other's observed address (a
 * simultaneous open), or a third party's transport, or nothing at all.
 */
import { assert, assertEquals } from "../../tests/assert.ts";
import { delay } from "../../async/mod.ts";
import {
  acceptChannel,
  Identity,
  initiateChannel,
  memoryPair,
  type Transport,
} from "../../crypto/mod.ts";
import { nameKey, parseName, type PunchResult } from "../../protocol/mod.ts";
import { Chat, PathPolicy, PathUpgrader, randomId } from "../chat/mod.ts";
import type { ClientEvent } from "../core/mod.ts";
import type { SeenFrom } from "../directory/mod.ts";
import { PunchAttemptError, type PunchDial } from "./punch_dial.ts";
import { Puncher } from "./puncher.ts";
import type { Endpoint } from "./punch_machine.ts";

type Name = "alice" | "bob";
const SEEN: Record<Name, SeenFrom> = {
  alice: {
    local: { address: "10.0.1.2", port: 40001, reusable: true },
    observed: { address: "203.0.113.7", port: 51234 },
    nat: true,
  },
  bob: {
    local: { address: "10.0.2.2", port: 40002, reusable: true },
    observed: { address: "198.51.100.2", port: 40999 },
    nat: true,
  },
};

type Side = {
  chat: Chat;
  events: ClientEvent[];
  reports: PunchResult[];
  policy: PathPolicy;
  identity: Identity;
};

/**
 * The simultaneous open, in memory: a dial to the other side's observed
 * address meets that side's dial to ours; one that is not met within
 * `waitMs` fails as the SYNs that never met do.
 */
function network(waitMs = 500): { dial: (from: Name) => PunchDial; dials: () => number } {
  let waiting: { from: Name; meet: (t: Transport) => void } | undefined;
  let count = 0;
  return {
    dials: () => count,
    dial: (from) => async (peer: Endpoint, _local, signal) => {
      count++;
      const other: Name = from === "alice" ? "bob" : "alice";
      assertEquals(peer, SEEN[other].observed, `${from} dials ${other}'s observed address`);
      if (waiting && waiting.from === other) {
        const [mine, theirs] = memoryPair();
        waiting.meet(theirs);
        waiting = undefined;
        return mine;
      }
      const met = Promise.withResolvers<Transport>();
      waiting = { from, meet: met.resolve };
      try {
        return await Promise.race([
          met.promise,
          delay(waitMs, signal).then(() => {
            throw new PunchAttemptError("timeout");
          }),
        ]);
      } finally {
        if (waiting?.from === from) waiting = undefined;
      }
    },
  };
}

/** alice and bob in a relayed chat, each punching with `dial(side)`. */
async function relayedPair(dial: (from: Name) => PunchDial): Promise<Record<Name, Side>> {
  const identities = { alice: Identity.generate(), bob: Identity.generate() };
  const [a, b] = memoryPair();
  const [alice, bob] = await Promise.all([
    initiateChannel(a, identities.alice, { expectedPeer: identities.bob.public.fingerprint }),
    acceptChannel(b, identities.bob),
  ]);
  const chatId = randomId();
  const sides = {} as Record<Name, Side>;
  for (const [own, other, channel] of [["alice", "bob", alice], ["bob", "alice", bob]] as const) {
    const events: ClientEvent[] = [];
    const reports: PunchResult[] = [];
    const policy = new PathPolicy("auto");
    const upgrader = new PathUpgrader({
      moves: true,
      identity: identities[own],
      ownName: parseName(own),
      lookup: () => Promise.resolve(undefined),
      reportUpgrade: () => {},
    });
    let puncher: Puncher | undefined = undefined;
    const name = parseName(other);
    const chat = new Chat(
      { name, key: nameKey(name), fingerprint: identities[other].public.fingerprint, sas: "" },
      channel,
      {
        path: "relay",
        sink: { emit: (e) => events.push(e) },
        id: chatId,
        aside: (message) => puncher?.take(message) ?? false,
      },
    );
    puncher = new Puncher(chat, channel, {
      identity: identities[own],
      seenFrom: () => SEEN[own],
      upgrader,
      policy,
      report: (result) => reports.push(result),
      sink: { emit: (e) => events.push(e) },
      clock: Date.now,
      dial: dial(own),
    });
    sides[own] = { chat, events, reports, policy, identity: identities[own] };
    puncher.start();
  }
  return sides;
}

async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !check(); await delay(10)) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
  }
}

const of = (events: ClientEvent[], type: string) => events.filter((e) => e.type === type);

Deno.test("Puncher: both sides dial at once, the chat moves to the punched path, nothing lost", async () => {
  const net = network();
  const { alice, bob } = await relayedPair(net.dial);
  for (let i = 0; i < 50; i++) alice.chat.send(`a ${i}`);
  await until(() => alice.chat.via === "punched" && bob.chat.via === "punched", "both moved");
  for (let i = 50; i < 100; i++) alice.chat.send(`a ${i}`);
  for (let i = 0; i < 100; i++) bob.chat.send(`b ${i}`);
  const texts = (events: ClientEvent[]) =>
    of(events, "message").map((e) => (e as { text: string }).text);
  await until(() => texts(bob.events).length === 100 && texts(alice.events).length === 100, "all");
  assertEquals(texts(bob.events), Array.from({ length: 100 }, (_, i) => `a ${i}`));
  assertEquals(texts(alice.events), Array.from({ length: 100 }, (_, i) => `b ${i}`));
  for (const side of [alice, bob]) {
    assertEquals(of(side.events, "path-changed").map((e) => (e as { via: string }).via), [
      "punched",
    ]);
    assertEquals(side.chat.path, "direct");
    assertEquals(of(side.events, "punch-failed"), []);
  }
  // Only the leader (the lower fingerprint) reports, once.
  assertEquals([...alice.reports, ...bob.reports], ["success"]);
  assertEquals(net.dials(), 2, "one dial each");
  await Promise.all([alice.chat.end(), bob.chat.ended]);
});

Deno.test("Puncher: connections that never meet fail three attempts, said once, remembered", async () => {
  const never: (from: Name) => PunchDial = () => () => {
    return Promise.reject(new PunchAttemptError("timeout"));
  };
  const { alice, bob } = await relayedPair(never);
  await until(
    () => of(alice.events, "punch-failed").length + of(bob.events, "punch-failed").length === 2,
    "both told",
  );
  for (const side of [alice, bob]) {
    assertEquals(of(side.events, "punch-failed"), [{
      type: "punch-failed",
      peer: side === alice ? "bob" : "alice",
      attempts: 3,
      detail: "timeout",
    }]);
    assertEquals(side.chat.path, "relay", "the chat stays relayed");
    assertEquals(
      side.policy.mayPunch(
        side === alice ? nameKey(parseName("bob")) : nameKey(parseName("alice")),
        Date.now(),
      ),
      false,
    );
  }
  assertEquals([...alice.reports, ...bob.reports], ["failed"]);
  alice.chat.send("still here");
  await until(() => of(bob.events, "message").length === 1, "the relay still carries the chat");
  await Promise.all([alice.chat.end(), bob.chat.ended]);
});

Deno.test("Puncher: a third party that takes the punched connection gets nothing: its key is refused", async () => {
  const mallory = Identity.generate();
  const stolen: string[] = [];
  // Whoever dials reaches mallory, who plays whichever role the dialer does not.
  const thief: (from: Name) => PunchDial = () => (_peer, _local, _signal) => {
    const [mine, theirs] = memoryPair();
    (async () => {
      // The first read stays the channel's: it is handed to the handshake, whichever role.
      let pending: Promise<Uint8Array | null> | undefined = theirs.read();
      const spoke = await Promise.race([pending.then(() => true), delay(200).then(() => false)]);
      const transport: Transport = {
        read: (signal) => {
          const first = pending;
          pending = undefined;
          return first ?? theirs.read(signal);
        },
        write: (bytes) => theirs.write(bytes),
        close: () => theirs.close(),
      };
      try {
        const channel = spoke
          ? await acceptChannel(transport, mallory)
          : await initiateChannel(transport, mallory);
        const heard = await channel.receive().catch(() => null);
        if (heard) stolen.push(new TextDecoder().decode(heard));
      } catch {
        // Refused during the handshake: nothing reached mallory.
      }
    })();
    return Promise.resolve(mine);
  };
  const { alice, bob } = await relayedPair(thief);
  await until(
    () => of(alice.events, "punch-failed").length + of(bob.events, "punch-failed").length === 2,
    "both told",
  );
  for (const side of [alice, bob]) {
    const [failed] = of(side.events, "punch-failed") as { detail: string }[];
    assertEquals(failed.detail, "unexpected-key");
    const warnings = of(side.events, "security-warning") as { got: string; detail: string }[];
    assertEquals(warnings.length, 1, "warned once a chat");
    assertEquals(warnings[0].got, mallory.public.fingerprint);
    assertEquals(warnings[0].detail, "punch");
    assertEquals(side.chat.path, "relay");
  }
  assertEquals(stolen, [], "mallory never heard a word");
  assert(of(alice.events, "path-changed").length === 0);
  await Promise.all([alice.chat.end(), bob.chat.ended]);
});
