import { assert, assertEquals } from "../../tests/assert.ts";
import { Identity } from "../../crypto/mod.ts";
import { type Name, parseName } from "../../protocol/mod.ts";
import type { ClientEvent } from "../core/mod.ts";
import { GroupBook } from "./group_book.ts";
import type { GroupAction } from "./group_events.ts";
import type { GroupFrame } from "./group_frames.ts";
import { type Member, member, signMembership, toWire } from "./membership.ts";
import { GAP_WAIT_MS } from "./sender_order.ts";
import { randomId } from "../chat/mod.ts";
import { GroupFile } from "./group_file.ts";

/** A client's book, and everything it showed. */
type Client = { name: Name; identity: Identity; me: Member; book: GroupBook; shown: ClientEvent[] };

function client(name: string): Client {
  const identity = Identity.generate();
  const me = member(parseName(name), identity.public);
  const book = new GroupBook({
    self: me,
    sign: (m) => signMembership(identity, m),
    randomId,
    reads: { verified: () => false },
  });
  return { name: me.name, identity, me, book, shown: [] };
}

/** Runs actions between clients as a perfect network would: every frame delivered at once, by link. */
class Net {
  readonly clients: Client[];
  now = 1_000;
  /** Frames not delivered (to someone offline), by recipient. */
  readonly held = new Map<string, { from: Client; frame: GroupFrame }[]>();
  readonly offline = new Set<string>();
  constructor(...clients: Client[]) {
    this.clients = clients;
  }
  run(from: Client, actions: GroupAction[]): GroupAction[] {
    for (const action of actions) {
      if (action.type === "show") from.shown.push(action.event);
      if (action.type !== "deliver") continue;
      const to = this.clients.find((c) => c.me.fingerprint === action.to.fingerprint)!;
      for (const frame of action.frames) {
        if (this.offline.has(to.name)) {
          this.held.set(to.name, [...(this.held.get(to.name) ?? []), { from, frame }]);
          continue;
        }
        this.frame(from, to, frame, "link");
      }
    }
    return actions;
  }
  frame(from: Client, to: Client, frame: GroupFrame, via: "link" | "mail"): GroupAction[] {
    return this.run(
      to,
      to.book.handle({ type: "frame", frame, from: from.me, via, known: "pinned", now: this.now }),
    );
  }
  /** `name` comes back: what was held for it arrives as mail, in order. */
  back(c: Client): void {
    this.offline.delete(c.name);
    for (const { from, frame } of this.held.get(c.name) ?? []) this.frame(from, c, frame, "mail");
    this.held.delete(c.name);
  }
  cmd(c: Client, event: Parameters<GroupBook["handle"]>[0]): GroupAction[] {
    const actions = c.book.handle(event);
    const resolve = actions.find((a) => a.type === "resolve");
    if (resolve?.type === "resolve") {
      const invitee = this.clients.find((x) => x.name === resolve.name)!;
      return this.cmd(c, {
        type: "invitee",
        group: resolve.group,
        invitee: invitee.me,
        now: this.now,
      });
    }
    return this.run(c, actions);
  }
}

const of = <T extends ClientEvent["type"]>(c: Client, type: T) =>
  c.shown.filter((e) => e.type === type) as Extract<ClientEvent, { type: T }>[];
const texts = (c: Client) => of(c, "group-message").map((e) => `${e.from}:${e.text}`);

/** alice creates #team and lets bob and carol in. */
function team(): { net: Net; alice: Client; bob: Client; carol: Client; id: string } {
  const [alice, bob, carol] = ["alice", "bob", "carol"].map(client);
  const net = new Net(alice, bob, carol);
  net.cmd(alice, { type: "new", title: "team", now: net.now });
  const id = of(alice, "group-created")[0].group;
  for (const c of [bob, carol]) {
    net.cmd(alice, { type: "invite", ref: "#team", name: c.name });
    assertEquals(of(c, "group-invite").at(-1)?.from, "alice");
    net.cmd(c, { type: "join", ref: "#team" });
    assertEquals(of(c, "group-joined").length, 1);
  }
  return { net, alice, bob, carol, id };
}

Deno.test("GroupBook: alice creates #team, invites bob and carol, both join; everyone sees each message once, others only", () => {
  const { net, alice, bob, carol } = team();
  assertEquals(of(bob, "group-member-added").map((e) => e.name), ["carol"]);
  assertEquals(of(alice, "group-member-added").map((e) => e.name), ["bob", "carol"]);
  net.cmd(alice, { type: "say", ref: "#team", text: "hi all", now: net.now });
  net.cmd(bob, { type: "say", ref: "#team", text: "hi alice", now: net.now });
  net.cmd(carol, { type: "say", ref: "#team", text: "hello", now: net.now });
  assertEquals(texts(alice), ["bob:hi alice", "carol:hello"]);
  assertEquals(texts(bob), ["alice:hi all", "carol:hello"]);
  assertEquals(texts(carol), ["alice:hi all", "bob:hi alice"]);
  const delivered = of(alice, "group-delivered");
  assertEquals(delivered.map((d) => [d.to, d.pending]), [[["bob"], ["carol"]], [
    ["bob", "carol"],
    [],
  ]]);
});

Deno.test("GroupBook: carol is away; what alice and bob write comes as mail, in order, once, even when repeated", () => {
  const { net, alice, bob, carol } = team();
  net.offline.add("carol");
  for (const t of ["one", "two", "three"]) {
    net.cmd(alice, { type: "say", ref: "#team", text: t, now: net.now });
  }
  net.cmd(bob, { type: "say", ref: "#team", text: "bob here", now: net.now });
  const copies = [...net.held.get("carol")!];
  net.back(carol);
  // The same frames again (a link and the mail both carried them): shown once.
  for (const { from, frame } of copies) net.frame(from, carol, frame, "link");
  assertEquals(texts(carol), ["alice:one", "alice:two", "alice:three", "bob:bob here"]);
  assert(of(carol, "group-message").every((e) => e.offline === true));
  assertEquals(of(alice, "group-delivered").filter((d) => d.pending.length === 0).length, 3);
});

Deno.test("GroupBook: a gap holds a sender's later messages until it fills; past GAP_WAIT_MS they show and the missing one comes late, once", () => {
  const { net, alice, bob } = team();
  net.offline.add("bob");
  for (const t of ["1", "2", "3", "4"]) {
    net.cmd(alice, { type: "say", ref: "#team", text: t, now: net.now });
  }
  const [m1, m2, m3, m4] = net.held.get("bob")!;
  net.offline.delete("bob");
  net.frame(alice, bob, m2.frame, "link");
  net.frame(alice, bob, m3.frame, "link");
  assertEquals(texts(bob), [], "held behind the gap");
  net.frame(alice, bob, m1.frame, "mail");
  assertEquals(texts(bob), ["alice:1", "alice:2", "alice:3"]);
  const timer = net.run(bob, bob.book.handle({ type: "tick", now: net.now }));
  assertEquals(timer.find((a) => a.type === "timer"), { type: "timer", at: undefined });
  // Now a gap that never fills: 6 comes without 5.
  net.offline.add("bob");
  for (const t of ["5", "6"]) net.cmd(alice, { type: "say", ref: "#team", text: t, now: net.now });
  const [, , , , m5, m6] = [m1, m2, m3, m4, ...net.held.get("bob")!.slice(4)];
  net.frame(alice, bob, m6.frame, "link");
  net.run(bob, bob.book.handle({ type: "tick", now: net.now + GAP_WAIT_MS - 1 }));
  assertEquals(texts(bob).length, 3);
  net.run(bob, bob.book.handle({ type: "tick", now: net.now + GAP_WAIT_MS }));
  assertEquals(texts(bob).slice(3), ["alice:6"]);
  net.frame(alice, bob, m4.frame, "mail");
  net.frame(alice, bob, m5.frame, "mail");
  net.frame(alice, bob, m5.frame, "link");
  assertEquals(texts(bob).slice(3), ["alice:6", "alice:4", "alice:5"]);
  assertEquals(of(bob, "group-message").filter((e) => e.late).map((e) => e.text), ["4", "5"]);
});

Deno.test("GroupBook: alice removes bob; bob is told, gets nothing after, and what he sends is refused as not-a-member", () => {
  const { net, alice, bob, carol } = team();
  net.cmd(alice, { type: "say", ref: "#team", text: "before", now: net.now });
  // bob keeps the frame he would send, to send it after his removal.
  const sent = bob.book.handle({ type: "say", ref: "#team", text: "late words", now: net.now });
  net.cmd(alice, { type: "remove", ref: "#team", name: bob.name, now: net.now });
  assertEquals(of(bob, "group-left").map((e) => e.reason), ["removed"]);
  assertEquals(of(carol, "group-member-removed").map((e) => [e.name, e.by]), [["bob", "alice"]]);
  net.cmd(alice, { type: "say", ref: "#team", text: "after", now: net.now });
  assertEquals(texts(bob), ["alice:before"]);
  const frame = sent.find((a) => a.type === "deliver")!;
  assert(frame.type === "deliver");
  const refused = net.frame(bob, carol, frame.frames[0], "mail");
  const warning = refused.find((a) => a.type === "show")!;
  assert(warning.type === "show" && warning.event.type === "security-warning");
  assertEquals(warning.event.reason, "not-a-member");
  assertEquals(texts(carol), ["alice:before", "alice:after"]);
  assertEquals(
    carol.book.admits(bob.name, bob.me.fingerprint, of(carol, "group-joined")[0].group).admit,
    false,
  );
});

Deno.test("GroupBook: a membership change signed by a member is refused (not-admin), as is an old version replayed, and two of one version", () => {
  const { net, alice, bob, carol, id } = team();
  const held = of(carol, "group-joined")[0];
  const mallory = client("mallory");
  // bob signs a membership of his own making: himself as admin, mallory added.
  const forged = signMembership(bob.identity, {
    group: id,
    version: 9,
    title: "team" as never,
    admin: bob.me,
    members: [bob.me, carol.me, mallory.me],
    change: { kind: "add", name: mallory.name },
    time: net.now,
  });
  const warned = (actions: GroupAction[]) =>
    actions.filter((a) => a.type === "show" && a.event.type === "security-warning")
      .map((a) => a.type === "show" && a.event.type === "security-warning" && a.event.reason);
  const frame = (w: ReturnType<typeof toWire>): GroupFrame => ({
    type: "group-membership",
    group: id,
    ...w,
  });
  assertEquals(warned(net.frame(bob, carol, frame(toWire(forged)), "link")), ["not-admin"]);
  // alice as admin in name, signed by bob: the signature does not hold.
  const posing = { ...toWire(forged) };
  const aliceDoc = JSON.parse(new TextDecoder().decode(forged.doc));
  aliceDoc.admin = { name: "alice", key: btoa(String.fromCharCode(...alice.me.key)) };
  aliceDoc.members = [aliceDoc.admin, ...aliceDoc.members];
  posing.doc = btoa(JSON.stringify(aliceDoc));
  assertEquals(warned(net.frame(bob, carol, frame(posing), "mail")), ["not-admin"]);
  // An older version carol never held, signed by the admin: replayed, refused, and said so.
  const v2 = signMembership(alice.identity, {
    group: id,
    version: 2,
    title: "team" as never,
    admin: alice.me,
    members: [alice.me, bob.me],
    change: { kind: "add", name: bob.name },
    time: net.now + 1,
  });
  assertEquals(warned(net.frame(alice, carol, frame(toWire(v2)), "link")), ["old-membership"]);
  // A second version 3 the admin signed: a conflict, and the one held stands.
  const v3b = signMembership(alice.identity, {
    group: id,
    version: 3,
    title: "team" as never,
    admin: alice.me,
    members: [alice.me, carol.me, mallory.me],
    change: { kind: "add", name: mallory.name },
    time: net.now,
  });
  assertEquals(warned(net.frame(alice, carol, frame(toWire(v3b)), "link")), [
    "membership-conflict",
  ]);
  net.cmd(carol, { type: "members", ref: "#team" });
  assertEquals(of(carol, "members")[0].members.map((m) => m.name), ["alice", "bob", "carol"]);
  assertEquals(held.members.length, 3);
  assertEquals(carol.book.admits(mallory.name, mallory.me.fingerprint, id).admit, false);
  // bob captured version 3 (with him in it); after his removal he replays it: it changes nothing.
  const v3 = carolsVersion(carol, id);
  net.cmd(alice, { type: "remove", ref: "#team", name: bob.name, now: net.now });
  assertEquals(
    warned(net.frame(bob, carol, frame(v3), "mail")),
    [],
    "refused: a copy of a version held",
  );
  assertEquals(warned(net.frame(alice, carol, frame(v3), "link")), []);
  assertEquals(carol.book.admits(bob.name, bob.me.fingerprint, id).admit, false);
});

/** The membership `c` holds for `id`, as it travels. */
function carolsVersion(c: Client, id: string): ReturnType<typeof toWire> {
  const r = c.book.records.find((x) => x.id === id)!;
  return toWire(r.signed);
}

Deno.test("GroupBook: only the admin invites or removes; titles are unique; the admin cannot leave a group with members", () => {
  const { net, alice, bob } = team();
  assertEquals(bob.book.handle({ type: "invite", ref: "#team", name: parseName("dave") })[0], {
    type: "fail",
    problem: { code: "not-admin", problem: "not-admin", title: "team", admin: "alice" },
  });
  assertEquals(alice.book.handle({ type: "new", title: "TEAM", now: 0 })[0], {
    type: "fail",
    problem: { code: "bad-command", problem: "title-taken", title: "TEAM" },
  });
  assertEquals(alice.book.handle({ type: "leave", ref: "#team", now: 0 })[0], {
    type: "fail",
    problem: { code: "bad-command", problem: "admin-leave", title: "team" },
  });
  assertEquals(alice.book.handle({ type: "new", title: "bad title!", now: 0 })[0].type, "fail");
  net.cmd(bob, { type: "leave", ref: "#team", now: net.now });
  assertEquals(of(alice, "group-member-removed").map((e) => [e.name, e.by]), [["bob", "bob"]]);
  assertEquals(of(bob, "group-left").map((e) => e.reason), ["left"]);
});

Deno.test("GroupBook: a link for a group we do not hold may bring an invitation; a message on it from a stranger is refused and the link dropped", () => {
  const { alice, bob, id } = team();
  const stranger = client("eve");
  assertEquals(stranger.book.admits(alice.name, alice.me.fingerprint, id), { admit: "stranger" });
  const msg: GroupFrame = {
    type: "group-msg",
    group: id,
    version: 3,
    seq: 1,
    since: 1,
    id: randomId(),
    text: "x",
    time: 1,
  };
  const from = stranger.me;
  const actions = bob.book.handle({
    type: "frame",
    frame: msg,
    from,
    via: "link",
    known: "new",
    now: 1,
  });
  assertEquals(actions.map((a) => a.type), ["show", "drop-link"]);
  // One who claims a membership newer than ours is let in: what it sends waits for that version.
  assertEquals(bob.book.admits(from.name, from.fingerprint, id, 4), { admit: "stranger" });
  assertEquals(bob.book.admits(from.name, from.fingerprint, id, 3).admit, false);
});

Deno.test("GroupBook: the groups file keeps groups, orders and the outbox across a restart; a message seen before stays seen", async () => {
  const { net, alice, bob, id } = team();
  net.offline.add("carol");
  net.cmd(alice, { type: "say", ref: "#team", text: "kept", now: net.now });
  const path = `${await Deno.makeTempDir()}/groups`;
  const { file } = await GroupFile.load(path);
  file.track(() => bob.book.records);
  await file.save();
  assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  const reloaded = await GroupFile.load(path);
  const again = new GroupBook({
    self: bob.me,
    sign: (m) => signMembership(bob.identity, m),
    randomId,
    reads: { verified: () => false },
  }, reloaded.records);
  const frame = net.held.get("carol")![0].frame;
  const replay = again.handle({
    type: "frame",
    frame,
    from: alice.me,
    via: "mail",
    known: "pinned",
    now: 2,
  });
  assertEquals(replay.filter((a) => a.type === "show"), [], "shown once, before the restart");
  assertEquals(again.titles, ["#team"]);
  assertEquals(again.admits(alice.name, alice.me.fingerprint, id), { admit: "member" });
  // alice's outbox survives too: carol has not shown it.
  const { file: aliceFile } = await GroupFile.load(`${path}-alice`);
  aliceFile.track(() => alice.book.records);
  await aliceFile.save();
  const aliceAgain = await GroupFile.load(`${path}-alice`);
  assertEquals(aliceAgain.records[0].outbox.map((m) => m.text), ["kept"]);
});

Deno.test("GroupBook: at most 100 groups, and 64 members with invitations; the 101st and the 65th are refused with their bound", () => {
  const alice = client("alice");
  for (let i = 0; i < 100; i++) {
    assertEquals(alice.book.handle({ type: "new", title: `g${i}`, now: 0 })[0].type, "save");
  }
  assertEquals(alice.book.handle({ type: "new", title: "one-more", now: 0 })[0], {
    type: "fail",
    problem: { code: "too-many-groups", problem: "too-many-groups", max: 100 },
  });
  for (let i = 0; i < 63; i++) {
    const m = client(`m${i}`);
    const actions = alice.book.handle({ type: "invite", ref: "#g0", name: m.name });
    assertEquals(actions[0].type, "resolve", `invitation ${i}`);
    alice.book.handle({ type: "invitee", group: alice.book.records[0].id, invitee: m.me, now: 0 });
  }
  assertEquals(alice.book.handle({ type: "invite", ref: "#g0", name: parseName("late") })[0], {
    type: "fail",
    problem: { code: "group-full", problem: "group-full", title: "g0", max: 64 },
  });
});

Deno.test("GroupBook: a member who joins late waits from the first message sent to them, not from 1", () => {
  const { net, alice, bob } = team();
  net.cmd(alice, { type: "say", ref: "#team", text: "before dave", now: net.now });
  const dave = client("dave");
  net.clients.push(dave);
  net.cmd(alice, { type: "invite", ref: "#team", name: dave.name });
  net.cmd(dave, { type: "join", ref: "#team" });
  net.cmd(alice, { type: "say", ref: "#team", text: "hello dave", now: net.now });
  net.cmd(bob, { type: "say", ref: "#team", text: "hi dave", now: net.now });
  assertEquals(texts(dave), ["alice:hello dave", "bob:hi dave"]);
});
