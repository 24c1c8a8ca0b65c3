/**
 * Group chats end to end (issue 24, docs/protocol.md §13): real `serve` and
 * `connect --json` processes over loopback. alice creates #team, invites bob
 * and carol; messages fan out over links and, to members who are away, as
 * sealed mail; delivery is reported per member; a removed member gets
 * nothing more; the group survives restarts.
 */
import { assert, assertEquals } from "./assert.ts";
import { type ClientProcess, type Event, runCli, startServe } from "../harness/mod.ts";
import { online, shown, showsCount, team } from "./group_helpers.ts";
import { Identity, toBase64 } from "../crypto/mod.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

Deno.test("groups: alice creates #team, invites bob and carol; each message is shown once by the others, in order, delivery reported per member; carol catches up by mail; bob removed sees nothing after; a restart keeps the group", async () => {
  const server = await startServe();
  const clients: ClientProcess[] = [];
  try {
    const alice = await online("alice", server);
    const bob = await online("bob", server);
    let carol = await online("carol", server);
    clients.push(alice, bob, carol);
    const group = await team(alice, [bob, carol]);
    const invite = bob.events.find(is("group-invite"))!;
    assertEquals(invite.known, "new", "an invitation from a key not pinned is first contact");
    assertEquals(invite.fingerprint, alice.events.find(is("ready"))!.fingerprint);
    await bob.waitFor(is("group-member-added", { name: "carol", by: "alice" }));
    const joined = carol.events.find(is("group-joined"))!;
    assertEquals((joined.members as { name: string }[]).map((m) => m.name), [
      "alice",
      "bob",
      "carol",
    ]);

    // Each sends two; the others see each once, in each sender's order; nobody sees their own.
    const marks = clients.map((c) => c.events.length);
    for (const c of clients) {
      await c.send(`/msg #team ${c.name} 1`);
      await c.send(`/msg #team ${c.name} 2`);
    }
    await Promise.all(clients.map((c, i) => showsCount(c, 4, marks[i])));
    await new Promise((r) => setTimeout(r, 500));
    for (const [i, c] of clients.entries()) {
      const seen = shown(c, marks[i]);
      assertEquals(seen.length, 4, `${c.name}: ${seen}`);
      for (const other of clients.filter((o) => o !== c)) {
        assertEquals(seen.filter((m) => m.startsWith(`${other.name}:`)), [
          `${other.name}:${other.name} 1`,
          `${other.name}:${other.name} 2`,
        ]);
      }
    }
    // Delivery, per member, as each member's client showed it.
    const sent = alice.events.filter(is("group-sent"));
    for (const s of sent.slice(-2)) {
      const done = await alice.waitFor(
        (e) => is("group-delivered", { id: s.id })(e) && (e.pending as string[]).length === 0,
      );
      assertEquals([...(done.to as string[])].sort(), ["bob", "carol"]);
    }

    // carol leaves; alice and bob write; carol comes back and sees what she missed, once, in order.
    const carolHome = carol.home;
    assertEquals(await carol.quit(), 0);
    clients.pop();
    for (const t of ["while away 1", "while away 2", "while away 3"]) {
      await alice.send(`/msg #team ${t}`);
    }
    await bob.send("/msg #team bob while away");
    const queuedFor = alice.events.length;
    await new Promise((r) => setTimeout(r, 1500));
    carol = await online("carol", server, carolHome);
    clients.push(carol);
    await showsCount(carol, 4);
    await new Promise((r) => setTimeout(r, 1000));
    const missed = carol.events.filter(is("group-message"));
    assertEquals(missed.map((e) => `${e.from}:${e.text}`).filter((m) => m.startsWith("alice:")), [
      "alice:while away 1",
      "alice:while away 2",
      "alice:while away 3",
    ]);
    assertEquals(missed.filter((e) => e.from === "bob").map((e) => e.text), ["bob while away"]);
    assert(missed.every((e) => e.offline === true), "they waited at the directory");
    const lastAway = alice.events.filter(is("group-sent")).at(-1)!;
    await alice.waitFor(
      (e) => is("group-delivered", { id: lastAway.id })(e) && (e.to as string[]).includes("carol"),
      15_000,
      queuedFor - 5,
    );

    // alice removes bob: bob is told, sees nothing after; carol sees the change.
    await alice.send("/remove #team bob");
    await bob.waitFor(is("group-left", { group, reason: "removed" }));
    await carol.waitFor(is("group-member-removed", { name: "bob", by: "alice" }));
    const bobMark = bob.events.length;
    await alice.send("/msg #team after bob");
    await carol.send("/msg #team carol after bob");
    await showsCount(carol, 5);
    await showsCount(alice, 1, alice.events.length - 3);
    await new Promise((r) => setTimeout(r, 1000));
    assertEquals(shown(bob, bobMark), [], "a removed member gets nothing sent after");
    await bob.send("/msg #team still here?");
    const refused = await bob.waitFor(is("error"), 5_000, bobMark);
    assertEquals(refused.code, "unknown-group");

    // A restart keeps the group: alice comes back as its admin, with the numbers she sent under.
    const aliceHome = alice.home;
    assertEquals(await alice.quit(), 0);
    clients.splice(clients.indexOf(alice), 1);
    const alice2 = await online("alice", server, aliceHome);
    clients.push(alice2);
    await alice2.send("/groups");
    const groups = await alice2.waitFor(is("groups"));
    assertEquals(
      (groups.groups as { title: string; members: number; state: string }[]).map((
        g,
      ) => [g.title, g.members, g.state]),
      [["team", 2, "joined"]],
    );
    const carolMark = carol.events.length;
    await alice2.send("/msg #team back again");
    await showsCount(carol, 1, carolMark);
    assertEquals(shown(carol, carolMark), ["alice:back again"]);
    await alice2.send("/members #team");
    const members = await alice2.waitFor(is("members"));
    assertEquals((members.members as { name: string }[]).map((m) => m.name), ["alice", "carol"]);
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await server.stop();
  }
});

Deno.test("groups: a member whose key changed is shown so and gets nothing until /trust; the admin's /invite then lets the new key in", async () => {
  const server = await startServe({ args: ["--name-ttl", "1s"] });
  const clients: ClientProcess[] = [];
  try {
    const alice = await online("alice", server);
    const bob = await online("bob", server);
    const carol = await online("carol", server);
    clients.push(alice, bob, carol);
    await team(alice, [bob, carol]);
    await alice.send("/msg #team hello both");
    await showsCount(bob, 1);
    await showsCount(carol, 1);
    assertEquals(await bob.quit(), 0);
    clients.splice(clients.indexOf(bob), 1);
    // bob's name lapses; "bob" comes back with another key (a new device, or someone else).
    await new Promise((r) => setTimeout(r, 2500));
    const bob2 = await online("bob", server);
    clients.push(bob2);
    const mark = alice.events.length;
    await alice.send("/msg #team are you the same bob?");
    const warned = await alice.waitFor(is("security-warning", { peer: "bob" }), 10_000, mark);
    assertEquals(warned.reason, "key-changed");
    assertEquals(warned.got, bob2.events.find(is("ready"))!.fingerprint);
    await showsCount(carol, 2);
    const sent = alice.events.filter(is("group-sent")).at(-1)!;
    const delivered = await alice.waitFor(is("group-delivered", { id: sent.id }), 10_000, mark);
    assertEquals([delivered.to, delivered.pending], [["carol"], ["bob"]]);
    await new Promise((r) => setTimeout(r, 1000));
    assertEquals(shown(bob2), [], "nothing goes to a key the membership does not list");

    // alice checks with bob out of band, trusts the new key, and lets it in.
    await alice.send("/trust bob");
    await alice.waitFor(is("trusted", { peer: "bob" }));
    await alice.send("/invite #team bob");
    await bob2.waitFor(is("group-invite", { title: "team" }));
    await bob2.send("/join #team");
    await bob2.waitFor(is("group-joined"));
    await carol.waitFor(is("group-member-added", { name: "bob" }), 10_000);
    await alice.send("/msg #team welcome back");
    await showsCount(bob2, 1);
    assertEquals(shown(bob2), ["alice:welcome back"]);
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await server.stop();
  }
});

Deno.test("groups: with --relay always, every group link runs through the directory's relay, and messages and delivery reports flow as over direct links", async () => {
  const server = await startServe();
  const clients: ClientProcess[] = [];
  try {
    const alice = await online("alice", server, undefined, ["--relay", "always"]);
    const bob = await online("bob", server, undefined, ["--relay", "always"]);
    const carol = await online("carol", server, undefined, ["--relay", "always"]);
    clients.push(alice, bob, carol);
    await team(alice, [bob, carol]);
    await alice.send("/msg #team through the relay");
    await bob.send("/msg #team me too");
    await showsCount(carol, 2);
    await showsCount(alice, 1);
    const sent = alice.events.find(is("group-sent"))!;
    await alice.waitFor((e) =>
      is("group-delivered", { id: sent.id })(e) && (e.pending as string[]).length === 0
    );
    assertEquals(shown(carol).sort(), ["alice:through the relay", "bob:me too"]);
    const offers = server.log.filter((line) => line.includes("relay-offered")).length;
    assert(offers >= 3, `the directory offered ${offers} relayed links`);
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await server.stop();
  }
});

Deno.test("groups: a groups file altered by hand, not p2pchat's, or readable by others is refused at start, saying which file and what to do", async () => {
  const server = await startServe();
  try {
    const alice = await online("alice", server);
    await alice.send("/group new team");
    await alice.waitFor(is("group-created"));
    assertEquals(await alice.quit(), 0);
    const path = `${alice.home}/groups`;
    const kept = await Deno.readTextFile(path);
    const start = async () => {
      const run = await runCli([
        "connect",
        "--json",
        "--name",
        "alice",
        "--home",
        alice.home,
        "--server",
        `127.0.0.1:${server.port}`,
      ]);
      return { code: run.code, stdout: run.stdout + run.stderr };
    };

    // Someone adds mallory to the membership in the file: the admin's signature no longer holds.
    const file = JSON.parse(kept);
    const doc = JSON.parse(atob(file.groups[0].doc));
    doc.members.push({ name: "mallory", key: toBase64(Identity.generate().public.key) });
    file.groups[0].doc = btoa(JSON.stringify(doc));
    await Deno.writeTextFile(path, JSON.stringify(file), { mode: 0o600 });
    const altered = await start();
    assertEquals(altered.code, 1);
    assert(
      altered.stdout.includes(path) && altered.stdout.includes("fix or remove it"),
      altered.stdout,
    );

    await Deno.writeTextFile(path, "not json", { mode: 0o600 });
    const garbage = await start();
    assertEquals(garbage.code, 1);
    assert(garbage.stdout.includes("not p2pchat's group state"), garbage.stdout);

    await Deno.writeTextFile(path, kept);
    await Deno.chmod(path, 0o644);
    const exposed = await start();
    assertEquals(exposed.code, 1);
    assert(exposed.stdout.includes("chmod 600"), exposed.stdout);
  } finally {
    await server.stop();
  }
});

Deno.test("groups: bad group commands get specific errors in command order, and the session goes on", async () => {
  const server = await startServe();
  const alice = await online("alice", server);
  try {
    const lines = [
      "/group new bad!title",
      "/invite #nope bob",
      "/join #nope",
      "/group new team",
      "/group new TEAM",
      "/invite #team alice",
      "/msg #team " + "x".repeat(4097),
      "/leave #team",
      "/groups",
    ];
    for (const line of lines) await alice.send(line);
    const replies = await Promise.all(
      lines.map((line) => alice.waitFor((e) => e.re === line.slice(0, 80))),
    );
    assertEquals(replies.map((e) => e.type === "error" ? e.code : e.type), [
      "bad-command",
      "unknown-group",
      "unknown-group",
      "group-created",
      "bad-command",
      "self",
      "too-long",
      "group-left",
      "groups",
    ]);
    assert(
      String(replies[0].message).includes("cannot be a group's title"),
      String(replies[0].message),
    );
    assert(
      String(replies[4].message).includes("already have a group called #TEAM"),
      String(replies[4].message),
    );
    assertEquals(replies[8].groups, [], "the admin alone may leave: the group is gone");
  } finally {
    await alice.kill();
    await server.stop();
  }
});
