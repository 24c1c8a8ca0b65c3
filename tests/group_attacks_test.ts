/**
 * Attacks on groups (docs/protocol.md §13.6), against real `serve` and
 * `connect` processes: a member forging a membership change, an old
 * membership replayed, a message replayed through mail and a live link,
 * a removed member writing on, an invitation too large for one envelope.
 * The attacker is a hand-written member (tests/fake_member.ts) holding a
 * real member's identity once that member's client is gone.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { type ClientProcess, type Event, startServe } from "../harness/mod.ts";
import { Identity } from "../crypto/mod.ts";
import { parseName } from "../protocol/mod.ts";
import {
  type GroupFrame,
  mailFrames,
  member,
  type Membership,
  signMembership,
  toWire,
} from "../client/groups/mod.ts";
import { fakeMember, identityOf } from "./fake_member.ts";
import { online, shown, showsCount, team } from "./group_helpers.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

const warning = (reason: string) => is("security-warning", { reason });

/** The doc and signature a client's groups file holds for `group`, once it holds it in `status`. */
async function heldDoc(home: string, status: string): Promise<{ doc: string; sig: string }> {
  for (let i = 0; i < 100; i++) {
    try {
      const file = JSON.parse(await Deno.readTextFile(join(home, "groups")));
      const record = file.groups.find((g: { status: string }) => g.status === status);
      if (record) return { doc: record.doc, sig: record.sig };
    } catch {
      // Not written yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${status} group in ${home}`);
}

Deno.test("group attacks: bob forging a membership change (signed by himself) is refused by carol, by mail and over a link; an old version he kept, replayed, is refused too", async () => {
  const server = await startServe();
  const clients: ClientProcess[] = [];
  try {
    const alice = await online("alice", server);
    const bob = await online("bob", server);
    const carol = await online("carol", server);
    clients.push(alice, bob, carol);
    // bob keeps the version 1 his invitation showed; carol is invited later and never holds it.
    await alice.send("/group new team");
    const group = (await alice.waitFor(is("group-created"))).group as string;
    await alice.send("/invite #team bob");
    await bob.waitFor(is("group-invite"));
    const v1 = await heldDoc(bob.home, "invited");
    await bob.send("/join #team");
    await bob.waitFor(is("group-joined"));
    await alice.send("/invite #team carol");
    await carol.waitFor(is("group-invite"));
    await carol.send("/join #team");
    await carol.waitFor(is("group-joined"));
    await bob.waitFor(is("group-member-added", { name: "carol" }));
    const bobIdentity = await identityOf(bob.home);
    assertEquals(await bob.quit(), 0);
    clients.splice(clients.indexOf(bob), 1);

    const fake = await fakeMember(server, "bob", bobIdentity);
    const mallory = Identity.generate();
    const carolKey = await identityOf(carol.home);
    const me = member(parseName("bob"), bobIdentity.public);
    const forged: Membership = {
      group,
      version: 4,
      title: "team" as never,
      admin: me,
      members: [
        me,
        member(parseName("carol"), carolKey.public),
        member(parseName("mallory"), mallory.public),
      ],
      change: { kind: "add", name: parseName("mallory") },
      time: Date.now(),
    };
    const frame = (w: { doc: string; sig: string }): GroupFrame => ({
      type: "group-membership",
      group,
      ...w,
    });
    const mark = carol.events.length;
    await fake.mail("carol", frame(toWire(signMembership(bobIdentity, forged))));
    const byMail = await carol.waitFor(warning("not-admin"), 10_000, mark);
    assertEquals(byMail.peer, "bob");
    assertEquals(byMail.group, group);
    assert(String(byMail.message).includes("#team"), String(byMail.message));

    // Over a link bob opens (he is a member: it is let in), the same forgery; the link is cut.
    const link = await fake.link(carol, group, 3);
    assertEquals(link.answer?.type, "accept");
    await link.send(frame(toWire(signMembership(bobIdentity, { ...forged, version: 5 }))));
    await carol.waitFor(warning("not-admin"), 10_000, carol.events.indexOf(byMail) + 1);
    // What carol said on the link as it came up (the version she holds), then nothing: cut.
    let said = 0;
    while (await link.receive(5_000) !== null) assert(++said < 10, "carol cut the link");

    // The version 1 bob kept from his invitation, replayed: older than carol's, never held by her.
    await fake.mail("carol", frame(v1));
    const replayed = await carol.waitFor(warning("old-membership"), 10_000, mark);
    assertEquals(replayed.detail, "version 1");

    await carol.send("/members #team");
    const members = await carol.waitFor(is("members"), 5_000, mark);
    assertEquals(members.version, 3, "the membership carol holds stands");
    assertEquals((members.members as { name: string }[]).map((m) => m.name), [
      "alice",
      "bob",
      "carol",
    ]);
    await fake.close();
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await server.stop();
  }
});

Deno.test("group attacks: a message replayed through mail and a live link is shown once; once bob is removed, what he sends is refused by carol with not-a-member", async () => {
  const server = await startServe();
  const clients: ClientProcess[] = [];
  try {
    const alice = await online("alice", server);
    const bob = await online("bob", server);
    const carol = await online("carol", server);
    clients.push(alice, bob, carol);
    const group = await team(alice, [bob, carol]);
    await bob.send("/msg #team from the real bob");
    await showsCount(carol, 1);
    const real = carol.events.find(is("group-message"))!;
    const bobIdentity = await identityOf(bob.home);
    assertEquals(await bob.quit(), 0);
    clients.splice(clients.indexOf(bob), 1);
    const fake = await fakeMember(server, "bob", bobIdentity);
    const msg = (seq: number, id: string, text: string, version = 3): GroupFrame => ({
      type: "group-msg",
      group,
      version,
      seq,
      since: 1,
      id,
      text,
      time: Date.now(),
    });
    const id = (n: number) => n.toString(16).padStart(32, "0");

    // The message carol showed, replayed by mail: not shown again.
    await fake.mail("carol", msg(1, real.id as string, real.text as string, 3));
    // A new one over a live link, then the same by mail; another by mail, then over the link.
    const link = await fake.link(carol, group, 3);
    assertEquals(link.answer?.type, "accept");
    await link.send(msg(2, id(2), "second, link first"));
    await fake.mail("carol", msg(2, id(2), "second, link first"));
    await fake.mail("carol", msg(3, id(3), "third, mail first"));
    await showsCount(carol, 3);
    await link.send(msg(3, id(3), "third, mail first"));
    await new Promise((r) => setTimeout(r, 1500));
    assertEquals(shown(carol).filter((m) => m.startsWith("bob:")), [
      "bob:from the real bob",
      "bob:second, link first",
      "bob:third, mail first",
    ]);
    // Acknowledged on the link: shown means acknowledged, whichever way it came.
    const acks: string[] = [];
    for (let f = await link.receive(2_000); f; f = await link.receive(500)) {
      if (f.type === "group-ack") acks.push(...f.ids);
    }
    assert(acks.includes(id(2)), `acks on the link: ${acks}`);
    await link.close();

    // alice removes bob; carol holds version 4 without him.
    await alice.send("/remove #team bob");
    await carol.waitFor(is("group-member-removed", { name: "bob" }));
    const mark = carol.events.length;
    await fake.mail("carol", msg(4, id(4), "after my removal, by mail"));
    const byMail = await carol.waitFor(warning("not-a-member"), 10_000, mark);
    assertEquals(byMail.peer, "bob");
    assertEquals(byMail.got, bobIdentity.public.fingerprint);
    // Over a link: carol does not let it in, and says why.
    const refused = await fake.link(carol, group, 3);
    assertEquals(refused.answer, { type: "decline", reason: "security" });
    await carol.waitFor(warning("not-a-member"), 10_000, carol.events.indexOf(byMail) + 1);
    await new Promise((r) => setTimeout(r, 500));
    assertEquals(shown(carol, mark), [], "nothing from bob is shown after his removal");
    await fake.close();
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await server.stop();
  }
});

Deno.test("group attacks: an invitation to a group of 60 members, too large for one sealed message, comes in parts while carol is offline and shows whole", async () => {
  const server = await startServe();
  const clients: ClientProcess[] = [];
  try {
    const carol = await online("carol", server);
    const carolHome = carol.home;
    assertEquals(await carol.quit(), 0);
    const dave = Identity.generate();
    const fake = await fakeMember(server, "dave", dave);
    const admin = member(parseName("dave"), dave.public);
    const others = Array.from(
      { length: 59 },
      (_, i) =>
        member(
          parseName(`member-with-a-long-name-${String(i).padStart(6, "0")}`),
          Identity.generate().public,
        ),
    );
    const group = "ab".repeat(16);
    const signed = signMembership(dave, {
      group,
      version: 1,
      title: "big" as never,
      admin,
      members: [admin, ...others],
      change: { kind: "create", name: admin.name },
      time: Date.now(),
    });
    assert(signed.doc.length > 5000, `a document of ${signed.doc.length} bytes`);
    const pieces = mailFrames({ type: "group-invite", group, ...toWire(signed) });
    assert(pieces.length >= 2, `${pieces.length} parts`);
    for (const piece of pieces) await fake.mail("carol", piece);
    const back = await online("carol", server, carolHome);
    clients.push(back);
    const invite = await back.waitFor(is("group-invite", { group }));
    assertEquals((invite.members as unknown[]).length, 60);
    assertEquals(invite.from, "dave");
    await fake.close();
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await server.stop();
  }
});
