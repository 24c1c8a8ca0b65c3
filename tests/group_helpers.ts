/**
 * What the group tests share: clients brought online, the messages a client
 * showed, and #team made with its members let in.
 *
 * @module
 */
import { assertEquals } from "./assert.ts";
import { type ClientProcess, type Event, type ServeProcess, startClient } from "../harness/mod.ts";

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

/** `name` online, ready. */
export async function online(
  name: string,
  server: ServeProcess,
  home?: string,
  args: string[] = [],
): Promise<ClientProcess> {
  const client = await startClient(name, server.port, { args, ...(home ? { home } : {}) });
  await client.waitFor(is("ready"), 20_000);
  return client;
}

/** The messages `c` showed for the group, as `from:text`, from event index `from` on. */
export function shown(c: ClientProcess, from = 0): string[] {
  return c.events.slice(from).filter(is("group-message")).map((e) => `${e.from}:${e.text}`);
}

/** Waits until `c` has shown `n` group messages (from index `from`). */
export async function showsCount(
  c: ClientProcess,
  n: number,
  from = 0,
  ms = 15_000,
): Promise<void> {
  const start = Date.now();
  while (shown(c, from).length < n) {
    if (Date.now() - start > ms) {
      const recent = c.events.slice(-12).map((e) => JSON.stringify(e).slice(0, 200)).join("\n");
      throw new Error(
        `${c.name} showed ${shown(c, from).join(", ")}, not ${n} messages; lately:\n${recent}\n${
          c.stderr.slice(-5).join("\n")
        }`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** alice creates #team and lets everyone in `others` join; returns the group id. */
export async function team(alice: ClientProcess, others: ClientProcess[]): Promise<string> {
  await alice.send("/group new team");
  const created = await alice.waitFor(is("group-created", { title: "team" }));
  for (const c of others) {
    const mark = c.events.length;
    await alice.send(`/invite #team ${c.name}`);
    await alice.waitFor(is("group-invited", { name: c.name }), 15_000, alice.events.length - 1);
    const invite = await c.waitFor(is("group-invite", { title: "team" }), 15_000, mark);
    assertEquals(invite.from, "alice");
    await c.send("/join #team");
    await c.waitFor(is("group-joined", { title: "team" }), 15_000, mark);
    await alice.waitFor(is("group-member-added", { name: c.name }), 15_000);
  }
  // Every member holds the last version: a message goes to the members of the version its
  // sender holds, so one sent before that would not go to the members added since.
  for (const [i, c] of others.entries()) {
    for (const later of others.slice(i + 1)) {
      await c.waitFor(is("group-member-added", { name: later.name }), 15_000);
    }
  }
  return created.group as string;
}
