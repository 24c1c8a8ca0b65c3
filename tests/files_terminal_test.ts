/**
 * Files in a real terminal (tmux, issue 23): while bob sends a file, one
 * status row for it stands above his input line (name, percent, rate, ETA),
 * redrawn in place: never wider than the terminal, at 40 columns too; never
 * left behind in what scrolled by; never breaking his half-typed line or
 * the messages that come in meanwhile. The receiver here is alice
 * (`--json`); she is stopped (SIGSTOP) for a moment mid-transfer so that the
 * screen can be read while the file is surely still under way.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { MAIN, startClient, startServe } from "../harness/mod.ts";
import { openTerminal, tmuxMissing } from "./tmux.ts";
import { cellWidth } from "../client/terminal/mod.ts";

const missing = await tmuxMissing();
if (missing) console.warn(`files_terminal_test skipped: ${missing}`);

const PROMPT = "bob→alice> ";

for (const columns of [40, 100]) {
  Deno.test({
    name:
      `files in a terminal at ${columns} columns: one status row above the input, in place, never breaking the half-typed line or incoming messages`,
    ignore: missing !== null,
    async fn() {
      const server = await startServe();
      const work = await Deno.makeTempDir();
      const home = await Deno.makeTempDir();
      const file = join(work, "holiday-photos.tar");
      const block = new Uint8Array(1024 * 1024);
      crypto.getRandomValues(block.subarray(0, 65536));
      const out = await Deno.open(file, { write: true, createNew: true });
      for (let i = 0; i < 192; i++) await out.write(block);
      out.close();
      const alice = await startClient("alice", server.port, {
        args: ["--auto-accept", "--downloads", join(work, "in")],
      });
      await alice.waitFor((e) => e.type === "ready");
      const bob = await openTerminal(
        [
          Deno.execPath(),
          "run",
          "-A",
          "--quiet",
          MAIN,
          "connect",
          "--name",
          "bob",
          "--server",
          `127.0.0.1:${server.port}`,
          "--home",
          home,
          "--listen",
          "127.0.0.1:0",
        ],
        { columns, rows: 24 },
        { NO_COLOR: "1" },
      );
      try {
        await bob.waitFor((rows) => rows.some((r) => r.includes("You are bob")));
        await bob.type(`/send alice ${file}`);
        await bob.press("Enter");
        const offer = await alice.waitFor(
          (e) => e.type === "file-offer" && e.direction === undefined,
          30_000,
        );
        await bob.waitFor((rows) => rows.join("").includes("waiting for them to accept"));
        const half = "a half-typed line that stays";
        await bob.type(half);
        await alice.send(`/accept-file ${offer.id}`);
        const status = (rows: string[]) => rows.filter((r) => r.startsWith("↑ holiday-photos"));
        await bob.waitFor((rows) => status(rows).length === 1, 30_000);
        alice.process.kill("SIGSTOP");
        try {
          // The receiver is stopped: the file is under way, the row stays; read it now.
          const rows = await bob.waitFor((r) => status(r).length === 1);
          const row = status(rows)[0];
          if (Deno.env.get("SHOW_SCREEN")) console.log(rows.join("\n"));
          assert(cellWidth(row) <= columns, `the row fits: ${JSON.stringify(row)}`);
          assert(/\d+%/.test(row), row);
          const at = rows.indexOf(row);
          assertEquals(rows[at + 1], PROMPT + half, `the input right below:\n${rows.join("\n")}`);
        } finally {
          alice.process.kill("SIGCONT");
        }
        await alice.send("/msg bob hello while the file moves");
        const both = await bob.waitFor((rows) =>
          rows.some((r) => r.includes("alice: hello while the file"))
        );
        const message = both.findIndex((r) => r.includes("alice: hello while the file"));
        const input = both.findIndex((r) => r === PROMPT + half);
        assert(message >= 0 && input > message, `the message above the input:\n${both.join("\n")}`);
        const done = await bob.waitFor((rows) => rows.join(" ").includes("alice received"), 60_000);
        assertEquals(status(done), [], `the row is gone once the file is in:\n${done.join("\n")}`);
        assertEquals(done.filter((r) => r === PROMPT + half).length, 1, done.join("\n"));
        assert(done.every((r) => cellWidth(r) <= columns), done.join("\n"));
        // Nothing of the rows was left in what scrolled by, and the line typed is sent as typed.
        await bob.press("Enter");
        assertEquals((await alice.waitFor((e) => e.type === "message")).text, half);
        const scrolled = await bob.lines();
        assertEquals(
          scrolled.filter((r) => r.startsWith("↑ holiday")).length,
          0,
          scrolled.join("\n"),
        );
      } finally {
        await bob.close();
        await alice.kill();
        await server.stop();
        await Deno.remove(work, { recursive: true });
        await Deno.remove(home, { recursive: true });
      }
    },
  });
}
