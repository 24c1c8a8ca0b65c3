import { assert, assertEquals } from "../../tests/assert.ts";
import { delay } from "../../async/mod.ts";
import {
  acceptChannel,
  connTransport,
  Identity,
  initiateChannel,
  memoryPair,
} from "../../crypto/mod.ts";
import { nameKey, parseName } from "../../protocol/mod.ts";
import {
  PathUpgrader,
  UPGRADE_MAX_WAIT_MS,
  UPGRADE_WINDOW_MS,
  upgradeSchedule,
} from "./path_upgrade.ts";
import { Chat } from "./chat.ts";
import type { CheckedUser } from "../trust/mod.ts";
import type { ClientEvent } from "../core/mod.ts";
import { decodePeerMessage, randomId } from "./peer_messages.ts";

Deno.test("upgradeSchedule() backs off from half a second, capped, within the window", () => {
  const waits = upgradeSchedule();
  assertEquals(waits.slice(0, 4), [500, 1000, 2000, 4000]);
  assert(waits.every((w) => w <= UPGRADE_MAX_WAIT_MS));
  assert(waits.reduce((a, b) => a + b, 0) <= UPGRADE_WINDOW_MS);
  assertEquals(upgradeSchedule(1000), [500]);
});

/** One side of a relayed chat with its own upgrader and a listener answering `resume`. */
type MoveSide = {
  chats: Chat[];
  events: ClientEvent[];
  upgrader: PathUpgrader;
  listener: Deno.TcpListener;
};

Deno.test("both sides moving at once agree on one connection: every chat moves and goes on (24 chats)", async () => {
  const identities = { alice: Identity.generate(), bob: Identity.generate() };
  const CHATS = 24;
  const sides = new Map<string, MoveSide>();
  const entry = (name: "alice" | "bob"): CheckedUser => {
    const n = parseName(name);
    return {
      name: n,
      peer: nameKey(n),
      fingerprint: identities[name].public.fingerprint,
      address: "127.0.0.1",
      port: sides.get(name)!.listener.addr.port,
      addresses: ["127.0.0.1"],
    };
  };
  for (const [own, other] of [["alice", "bob"], ["bob", "alice"]] as const) {
    const events: ClientEvent[] = [];
    const upgrader = new PathUpgrader({
      moves: true,
      identity: identities[own],
      ownName: parseName(own),
      lookup: () => Promise.resolve(entry(other)),
      reportUpgrade: () => {},
    });
    sides.set(own, {
      chats: [],
      events,
      upgrader,
      listener: Deno.listen({ hostname: "127.0.0.1", port: 0 }),
    });
  }
  // Each listener hands `resume` to its side's upgrader, as the app does.
  const serving = [...sides.values()].map(async (side) => {
    for await (const conn of side.listener) {
      acceptChannel(
        connTransport(conn),
        side === sides.get("alice") ? identities.alice : identities.bob,
      )
        .then(async (channel) => {
          const request = decodePeerMessage((await channel.receive())!);
          const chat = request.type === "resume"
            ? side.chats.find((c) => c.id === request.chat)
            : undefined;
          side.upgrader.resume(chat, channel, request);
        })
        .catch(() => {});
    }
  });
  for (let i = 0; i < CHATS; i++) {
    const id = randomId();
    const [a, b] = memoryPair();
    const [ca, cb] = await Promise.all([
      initiateChannel(a, identities.alice),
      acceptChannel(b, identities.bob),
    ]);
    for (const [own, other, channel] of [["alice", "bob", ca], ["bob", "alice", cb]] as const) {
      const side = sides.get(own)!;
      const name = parseName(other);
      side.chats.push(
        new Chat(
          { name, key: nameKey(name), fingerprint: channel.peer.fingerprint, sas: channel.sas },
          channel,
          { path: "relay", id, sink: { emit: (e) => side.events.push(e) } },
        ),
      );
    }
  }
  const [alice, bob] = [sides.get("alice")!, sides.get("bob")!];
  try {
    // Both sides start at once: their first attempts meet, chat after chat.
    for (let i = 0; i < CHATS; i++) {
      alice.upgrader.start(alice.chats[i]);
      bob.upgrader.start(bob.chats[i]);
    }
    const moved = (side: MoveSide) => side.chats.every((c) => c.path === "direct");
    for (let i = 0; i < 100 && !(moved(alice) && moved(bob)); i++) await delay(100);
    assert(moved(alice) && moved(bob), "every chat moved on both sides");
    // Each chat carries a message both ways on the connection it moved to.
    alice.chats.forEach((c, i) => c.send(`to bob ${i}`));
    bob.chats.forEach((c, i) => c.send(`to alice ${i}`));
    const shown = (side: MoveSide) => side.events.filter((e) => e.type === "message").length;
    for (let i = 0; i < 50 && !(shown(alice) === CHATS && shown(bob) === CHATS); i++) {
      await delay(100);
    }
    assertEquals([shown(alice), shown(bob)], [CHATS, CHATS]);
    const closed = [...alice.events, ...bob.events].filter((e) => e.type === "chat-closed");
    assertEquals(closed, [], "no chat ended");
  } finally {
    alice.listener.close();
    bob.listener.close();
    await Promise.allSettled(serving);
    await Promise.all([...alice.chats, ...bob.chats].map((c) => c.end()));
  }
});
