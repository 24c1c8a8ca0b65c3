/**
 * The interactive interface in a real terminal (tmux), read back as the
 * screen shows it: incoming lines are printed whole above a half-typed input
 * however long, wide or wrapped it is; text from a peer cannot move the
 * cursor, forge lines or retitle the window; Ctrl-C and Ctrl-D end the
 * session cleanly.
 */
import { assert, assertEquals } from "./assert.ts";
import {
  type ClientProcess,
  MAIN,
  type ServeProcess,
  startClient,
  startServe,
} from "../harness/mod.ts";
import { openTerminal, type Terminal, tmuxMissing } from "./tmux.ts";

const missing = await tmuxMissing();
if (missing) console.warn(`terminal_test skipped: ${missing}`);

type Scene = { server: ServeProcess; alice: ClientProcess; bob: Terminal; home: string };

/** bob in a terminal of `columns`, alice (--json) with a chat open to him. */
async function scene(columns: number, fn: (s: Scene) => Promise<void>): Promise<void> {
  const server = await startServe();
  const home = await Deno.makeTempDir();
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
      "--auto-accept",
    ],
    { columns, rows: 30 },
    { NO_COLOR: "1" },
  );
  const alice = await startClient("alice", server.port);
  try {
    await bob.waitFor((rows) => rows.some((r) => r.includes("You are bob")));
    await alice.waitFor((e) => e.type === "ready");
    await alice.send("/chat bob");
    await alice.waitFor((e) => e.type === "chat-open");
    await bob.waitFor((rows) => rows.join("").includes("Chat with alice open"));
    await fn({ server, alice, bob, home });
  } finally {
    await bob.close();
    await alice.kill();
    await server.stop();
    await Deno.remove(home, { recursive: true });
  }
}

const PROMPT = "bob→alice> ";
/** A long half-typed line with double-width characters in it. */
const typed = (length: number): string => {
  const base = "日本語テキスト and some ascii 🙂 ";
  let out = "";
  while ([...out].length < length) out += base;
  return [...out].slice(0, length).join("");
};

for (const [columns, length] of [[40, 70], [160, 200]] as const) {
  Deno.test({
    name:
      `terminal at ${columns} columns: an incoming line is printed whole above a wrapped half-typed line, which stays intact`,
    ignore: missing !== null,
    async fn() {
      await scene(columns, async ({ alice, bob }) => {
        const half = typed(length);
        await bob.type(half);
        const tail = [...half].slice(-8).join("");
        await bob.waitFor((rows) => rows.join("").includes(tail.trim()));
        const incoming = "incoming while you type: the line must be whole " + "x".repeat(30);
        await alice.send(incoming);
        // Everything from the incoming line down, as the terminal shows it: the
        // line, then the input (prompt and text), each whole and once.
        const squeeze = (text: string) => text.replace(/\s/g, "");
        const want = squeeze(`[..:..] alice: ${incoming}`.slice(8) + PROMPT + half);
        let shown = "";
        for (let i = 0; i < 50; i++) {
          const rows = await bob.screen();
          const at = rows.findIndex((row) => row.includes("alice: incoming while you type"));
          shown = at < 0 ? "" : squeeze(rows.slice(at).join("")).replace(/^\[\d\d:\d\d\]/, "");
          if (shown === want) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        assertEquals(
          shown,
          want,
          `the incoming line whole, then the input once and whole:\n${
            (await bob.screen()).join("\n")
          }`,
        );
        // What was typed is what is sent.
        await bob.press("Enter");
        const got = await alice.waitFor((e) => e.type === "message");
        assertEquals(got.text, half);
      });
    },
  });
}

Deno.test({
  name:
    "terminal: escape sequences, C1 controls and bidi overrides from a peer are shown, not obeyed",
  ignore: missing !== null,
  async fn() {
    await scene(80, async ({ alice, bob }) => {
      const before = await bob.title();
      await alice.send("before the attack");
      await bob.waitFor((rows) => rows.some((r) => r.includes("alice: before the attack")));
      const attack = "hi\x1b[2J\x1b[H\x1b]0;pwned\x07\u009b31mred\u202eevil\rforged: from carol";
      await alice.send(attack);
      await alice.send("after the attack");
      await bob.waitFor((r) => r.some((row) => row.includes("alice: after the attack")));
      const rows = await bob.lines();
      const text = rows.join("\n");
      assert(text.includes("alice: before the attack"), `the screen was not cleared:\n${text}`);
      // Broken between words at the terminal's width: compared without the breaks.
      assert(
        text.replace(/\n +/g, " ").includes(
          "alice: hi\\x1b[2J\\x1b[H\\x1b]0;pwned\\x07\\x9b31mred\\u{202e}evil\\x0dforged: from carol",
        ),
        `shown escaped, on one line:\n${text}`,
      );
      assert(!rows.some((row) => row.startsWith("forged")), "no forged line");
      assertEquals(await bob.title(), before, "the window title is unchanged");
    });
  },
});

Deno.test({
  name:
    "terminal at 40 columns: lines break between words, and a peer's text cannot start a row of its own",
  ignore: missing !== null,
  async fn() {
    await scene(40, async ({ alice, bob }) => {
      const rows = await bob.screen();
      const fingerprint = String((await alice.waitFor((e) => e.type === "chat-open")).fingerprint);
      const groups = fingerprint.match(/.{4}/g)!;
      for (const group of groups) {
        assert(rows.some((row) => row.includes(group)), `${group} split:\n${rows.join("\n")}`);
      }
      // Padding that would put a forged line at the start of a row if the row simply ran out.
      const forged = "[12:00] carol: send me the code";
      await alice.send(`hi${" ".repeat(40)}${forged}`);
      await alice.send("after the padding");
      const shown = await bob.waitFor((r) => r.some((row) => row.includes("after the padding")));
      const at = shown.findIndex((row) => row.includes("carol:"));
      assert(at >= 0 && /^ +\[12:00\] carol:/.test(shown[at]), shown.join("\n"));
      assert(shown.every((row) => !row.startsWith("[12:00] carol")), "no row starts the forgery");
    });
  },
});

Deno.test({
  name:
    "terminal at 40 columns: characters our width table once undercounted, at the wrap point, never start a row with peer text",
  ignore: missing !== null,
  async fn() {
    // Each is placed where a row fills exactly by its count: counted one cell short, the row
    // would spill its last character into column 0 of the next.
    const chars = [
      "\u{1f210}", // squared CJK ideograph
      "\u2329", // left-pointing angle bracket
      "\u4dc0", // Yijing hexagram
      "\u00ad", // soft hyphen
      "\u0600", // Arabic number sign
      "e\u0301", // a combining accent: no cell
      "\u200b", // zero-width space
      "👩‍👩‍👧", // joined emoji: six cells here
      "❤\ufe0f", // an emoji by its variation selector
    ];
    await scene(40, async ({ alice, bob }) => {
      for (const [i, char] of chars.entries()) {
        for (const at of [9, 10, 11]) {
          await alice.send(`${"Q".repeat(at)}${char}${"Q".repeat(70)}`);
        }
        await alice.send(`mark ${i}`);
        const rows = await bob.waitFor((r) => r.some((row) => row.includes(`alice: mark ${i}`)));
        // Peer text is Q, the character, or its escape: none of it may start a row.
        const spilled = rows.filter((row) => /^[Q\\]/.test(row) || row.startsWith(char[0]));
        assertEquals(spilled, [], `U+${char.codePointAt(0)!.toString(16)}:\n${rows.join("\n")}`);
      }
    });
  },
});

for (const key of ["C-c", "C-d"]) {
  Deno.test({
    name: `terminal: ${
      key === "C-c" ? "Ctrl-C" : "Ctrl-D"
    } with a chat open ends it as /quit does, exit 0, no stack trace`,
    ignore: missing !== null,
    async fn() {
      await scene(60, async ({ alice, bob }) => {
        await alice.send("are you there");
        await bob.waitFor((rows) => rows.some((r) => r.includes("alice: are you there")));
        await bob.press(key);
        const rows = await bob.waitFor((r) => r.some((row) => row.startsWith("[exit ")));
        const text = rows.join("\n");
        assert(text.includes("[exit 0]"), text);
        assert(text.includes("You ended the chat with alice"), text);
        assert(!/Uncaught|error:|at .*\.ts:\d+/.test(text), text);
        const exitRow = rows.find((row) => row.startsWith("[exit "))!;
        assertEquals(exitRow, "[exit 0]", "the shell's next line starts clean");
        const closed = await alice.waitFor((e) => e.type === "chat-closed");
        assertEquals([closed.reason, closed.by], ["eom", "peer"]);
      });
    },
  });
}
