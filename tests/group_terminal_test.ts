/**
 * Groups in a real terminal (tmux): alice types the commands a person would,
 * with four members as `--json` clients, one of them away. Her screen shows
 * the group as the current conversation in the prompt, members' messages
 * under the group's name, and each of her messages' delivery as `✓ 3/4`,
 * updated as members' clients show it.
 */
import { assert } from "./assert.ts";
import { type ClientProcess, type Event, MAIN, startServe } from "../harness/mod.ts";
import { openTerminal, tmuxMissing } from "./tmux.ts";
import { online } from "./group_helpers.ts";

const missing = await tmuxMissing();
if (missing) console.warn(`group_terminal_test skipped: ${missing}`);

const is = (type: string, fields: Record<string, unknown> = {}) => (e: Event): boolean =>
  e.type === type && Object.entries(fields).every(([k, v]) => e[k] === v);

Deno.test({
  name:
    "group terminal: /chat #team puts the group in the prompt; messages show under #team; delivery reads ✓ 3/4, then ✓ 4/4 when the member away comes back",
  ignore: missing !== null,
  async fn() {
    const server = await startServe();
    const home = await Deno.makeTempDir();
    const alice = await openTerminal(
      [
        Deno.execPath(),
        "run",
        "-A",
        "--quiet",
        MAIN,
        "connect",
        "--name",
        "alice",
        "--server",
        `127.0.0.1:${server.port}`,
        "--home",
        home,
        "--listen",
        "127.0.0.1:0",
      ],
      { columns: 100, rows: 40 },
      { NO_COLOR: "1" },
    );
    const members: ClientProcess[] = [];
    try {
      await alice.waitFor((rows) => rows.some((r) => r.includes("You are alice")));
      for (const name of ["bob", "carol", "dave", "erin"]) members.push(await online(name, server));
      const text = (rows: string[]) => rows.join("\n");
      await alice.type("/group new team");
      await alice.press("Enter");
      await alice.waitFor((rows) => text(rows).includes("Created #team; you are its admin"));
      for (const m of members) {
        await alice.type(`/invite #team ${m.name}`);
        await alice.press("Enter");
        await m.waitFor(is("group-invite"));
        await m.send("/join #team");
        await alice.waitFor((rows) =>
          text(rows).includes(`${m.name} joined #team (let in by alice)`)
        );
      }
      const erin = members.at(-1)!;
      const erinHome = erin.home;
      await erin.quit();
      members.pop();

      await alice.type("/chat #team");
      await alice.press("Enter");
      await alice.waitFor((rows) => rows.some((r) => r.startsWith("alice→#team>")));
      await members[0].send("/msg #team hi alice");
      await alice.waitFor((rows) =>
        rows.some((r) => /^\[\d\d:\d\d\] #team bob: hi alice$/.test(r))
      );
      await alice.type("hello team");
      await alice.press("Enter");
      await Promise.all(members.map((m) => m.waitFor(is("group-message", { text: "hello team" }))));
      const rows = await alice.waitFor((rows) =>
        rows.some((r) => r.includes("✓ 3/4 #team “hello team” (not yet: erin)"))
      );
      assert(!text(rows).includes("✓ 4/4"), text(rows));
      members.push(await online("erin", server, erinHome));
      await members.at(-1)!.waitFor(is("group-message", { text: "hello team" }));
      await alice.waitFor((rows) => rows.some((r) => r.includes("✓ 4/4 #team “hello team”")));
    } finally {
      await alice.close();
      await Promise.all(members.map((m) => m.kill()));
      await server.stop();
      await Deno.remove(home, { recursive: true });
    }
  },
});
