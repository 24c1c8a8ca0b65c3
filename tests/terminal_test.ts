/**
 * The interactive interface in a real terminal (tmux), read back as the
 * screen shows it: incoming lines are printed whole above a half-typed input
 * however long, wide or wrapped it is; text from a peer cannot move the
 * cursor, forge lines or retitle the window; Ctrl-C and Ctrl-D end the
 * session cleanly. Our line editor (issue 21): the input, with joined emoji
 * and CJK text, is shown intact and once, where tmux puts the cursor, after
 * every edit, message, resize and Ctrl-Z; the keys edit the line as
 * readline's did, by grapheme; raw mode is on while editing and off after.
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
import { cellWidth } from "../client/terminal/mod.ts";

const missing = await tmuxMissing();
if (missing) console.warn(`terminal_test skipped: ${missing}`);

type Scene = { server: ServeProcess; alice: ClientProcess; bob: Terminal; home: string };

/** The command line that runs bob's client in the terminal (`name`: given, or asked). */
function bobCommand(port: number, home: string, name: boolean): string[] {
  return [
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    MAIN,
    "connect",
    ...(name ? ["--name", "bob"] : []),
    "--server",
    `127.0.0.1:${port}`,
    "--home",
    home,
    "--listen",
    "127.0.0.1:0",
    "--auto-accept",
  ];
}

/** bob in a terminal of `columns`, alice (--json) with a chat open to him. */
async function scene(columns: number, fn: (s: Scene) => Promise<void>): Promise<void> {
  const server = await startServe();
  const home = await Deno.makeTempDir();
  const bob = await openTerminal(
    bobCommand(server.port, home, true),
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

// Our own line editor (issue 21): the input block is counted by cell_width.ts, redrawn in place.

const FAMILY = "👩‍👩‍👧"; // a joined emoji: tmux draws it as six cells
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const squeeze = (text: string): string => text.replace(/\s/g, "");
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `row` up to `column` cells, as the terminal placed them. */
function cut(row: string, column: number): string {
  let out = "";
  let width = 0;
  for (const { segment } of graphemes.segment(row)) {
    if (width >= column) break;
    out += segment;
    width += cellWidth(segment);
  }
  return out;
}

/**
 * The input as the screen shows it: the text from the last row the prompt
 * starts, up to the cursor; whether the row above is a stale copy of that
 * first row; and what is shown after the cursor (nothing, when the block is
 * drawn right).
 */
type Shown = { text: string; staleAbove: boolean; after: string[] };

async function shownInput(bob: Terminal, prompt: string): Promise<Shown> {
  const rows = await bob.screen();
  const cursor = await bob.cursor();
  const at = rows.findLastIndex((row, i) => i <= cursor.row && row.startsWith(prompt.trimEnd()));
  if (at < 0) return { text: "", staleAbove: false, after: rows.filter((row) => row !== "") };
  const last = cut(rows[cursor.row], cursor.column);
  const after = [rows[cursor.row].slice(last.length), ...rows.slice(cursor.row + 1)];
  return {
    text: [...rows.slice(at, cursor.row), last].join(""),
    staleAbove: rows[at - 1] === rows[at],
    after: after.filter((row) => row.trim() !== ""),
  };
}

/**
 * Waits until the screen shows `prompt` + `text` as the input, whole, with no
 * stale copy of its first row above it, the cursor after it and nothing
 * below; fails with the screen if not.
 */
async function assertInput(bob: Terminal, text: string, prompt = PROMPT): Promise<void> {
  const want = { text: squeeze(prompt + text), staleAbove: false, after: [] as string[] };
  let shown = await shownInput(bob, prompt);
  for (let i = 0; i < 50; i++) {
    shown = await shownInput(bob, prompt);
    if (squeeze(shown.text) === want.text && !shown.staleAbove && shown.after.length === 0) return;
    await pause(100);
  }
  assertEquals(
    { ...shown, text: squeeze(shown.text) },
    want,
    `the input whole, no stale row, the cursor after it:\n${
      (await bob.screen()).join("\n")
    }\ncursor ${JSON.stringify(await bob.cursor())}`,
  );
}

/** Presses Enter and returns the text alice received. */
async function send(bob: Terminal, alice: ClientProcess): Promise<unknown> {
  const from = alice.events.length;
  await bob.press("Enter");
  return (await alice.waitFor((e) => e.type === "message", 15_000, from)).text;
}

/**
 * A line of about three rows at 100 columns after the 11-cell prompt: the
 * joined emoji starts at column 96, where six cells do not fit; CJK text,
 * a two-cell emoji and the joined emoji again follow.
 */
const LONG = "a".repeat(85) + FAMILY + " " + "b".repeat(92) + "日本語テキスト and some ascii 🙂 " +
  FAMILY + " 中文 end";

Deno.test({
  name:
    "terminal at 100 columns: a long half-typed line with a joined emoji and CJK text is shown intact, and stays intact while messages arrive",
  ignore: missing !== null,
  async fn() {
    await scene(100, async ({ alice, bob }) => {
      await bob.type(LONG);
      await assertInput(bob, LONG);
      for (const i of [1, 2, 3]) {
        await alice.send(`message ${i} while bob types`);
        await bob.waitFor((rows) => rows.some((row) => row.includes(`alice: message ${i}`)));
        await assertInput(bob, LONG);
      }
      assertEquals(await send(bob, alice), LONG, "what was typed is what is sent");
    });
  },
});

Deno.test({
  name: "terminal at 100 columns: Ctrl-U clears a long half-typed line and leaves no stale row",
  ignore: missing !== null,
  async fn() {
    await scene(100, async ({ alice, bob }) => {
      await bob.type(LONG);
      await assertInput(bob, LONG);
      await bob.press("C-u");
      await assertInput(bob, "");
      const rows = await bob.screen();
      assert(!rows.some((row) => /aaaa|bbbb|中文/.test(row)), `a stale row:\n${rows.join("\n")}`);
      await bob.type("after the kill");
      await alice.send("a message after the kill");
      await bob.waitFor((rows) => rows.some((row) => row.includes("alice: a message after")));
      await assertInput(bob, "after the kill");
      assertEquals(await send(bob, alice), "after the kill");
    });
  },
});

Deno.test({
  name:
    "terminal at 100 columns: editing around a wide character that would land in the last column leaves no stale row",
  ignore: missing !== null,
  async fn() {
    await scene(100, async ({ alice, bob }) => {
      // The prompt takes 11 cells: 日 would take columns 99 and 100 of a 100-column row.
      const line = "a".repeat(88) + "日本語" + "b".repeat(120);
      await bob.type(line);
      await assertInput(bob, line);
      await bob.press("BSpace", "BSpace", "BSpace");
      await bob.press(...Array(117).fill("Left"));
      await bob.press("BSpace", "BSpace");
      await bob.type("X");
      await bob.press("End");
      const edited = "a".repeat(88) + "日X" + "b".repeat(117);
      await assertInput(bob, edited);
      await alice.send("a message after the edits");
      await bob.waitFor((rows) => rows.some((row) => row.includes("alice: a message after")));
      await assertInput(bob, edited);
      assertEquals(await send(bob, alice), edited);
    });
  },
});

Deno.test({
  name:
    "terminal: Backspace removes a joined emoji or an accented letter whole, and Left and Right move over them whole",
  ignore: missing !== null,
  async fn() {
    await scene(60, async ({ alice, bob }) => {
      await bob.type(`ab${FAMILY}`);
      await assertInput(bob, `ab${FAMILY}`);
      await bob.press("BSpace");
      await assertInput(bob, "ab");
      assertEquals(await send(bob, alice), "ab");
      await bob.type("xe\u0301");
      await bob.press("BSpace");
      await assertInput(bob, "x");
      assertEquals(await send(bob, alice), "x");
      await bob.type(`a${FAMILY}é日b`);
      await bob.press("Left", "Left", "Left", "Left");
      await bob.type("X");
      await bob.press("Right", "Right");
      await bob.type("Y");
      assertEquals(await send(bob, alice), `aX${FAMILY}éY日b`);
    });
  },
});

Deno.test({
  name:
    "terminal: Home, End, Ctrl-A, Ctrl-E, Delete, Ctrl-D, Ctrl-K, Ctrl-W, Up and Down edit the line and recall this session's lines",
  ignore: missing !== null,
  async fn() {
    await scene(60, async ({ alice, bob }) => {
      await bob.type("hello world");
      await bob.press("C-a", "DC");
      assertEquals(await send(bob, alice), "ello world");
      await bob.type("one two three");
      await bob.press("C-w");
      await assertInput(bob, "one two ");
      await bob.press("C-a", "C-k");
      await assertInput(bob, "");
      await bob.type("x");
      await bob.press("Home");
      await bob.type("y");
      await bob.press("End");
      await bob.type("zw");
      await bob.press("C-e", "Left", "Left", "C-d", "End");
      await assertInput(bob, "yxw");
      await bob.press("C-a", "Right", "C-u");
      assertEquals(await send(bob, alice), "xw");
      await bob.press("Up");
      await assertInput(bob, "xw");
      await bob.press("Up");
      await assertInput(bob, "ello world");
      await bob.press("Down");
      await assertInput(bob, "xw");
      await bob.press("Down");
      await assertInput(bob, "");
      await bob.press("Up", "Up");
      assertEquals(await send(bob, alice), "ello world");
    });
  },
});

Deno.test({
  name:
    "terminal: Tab completes a command or a name, and a second Tab lists the candidates above the input",
  ignore: missing !== null,
  async fn() {
    await scene(60, async ({ alice, bob }) => {
      await bob.type("/wh");
      await bob.press("Tab");
      await assertInput(bob, "/whois ");
      await bob.press("C-u");
      await bob.type("/ch");
      await bob.press("Tab");
      await assertInput(bob, "/chat");
      await bob.press("Tab");
      const rows = await bob.waitFor((rows) => rows.some((row) => /^\/chat +\/chats$/.test(row)));
      const list = rows.findIndex((row) => /^\/chat +\/chats$/.test(row));
      assert(
        rows[list + 1].startsWith(PROMPT.trimEnd()),
        `listed above the input:\n${rows.join("\n")}`,
      );
      await assertInput(bob, "/chat");
      await bob.press("C-u");
      await bob.type("/msg al");
      await bob.press("Tab");
      await assertInput(bob, "/msg alice ");
      await bob.type("completed");
      assertEquals(await send(bob, alice), "completed");
    });
  },
});

Deno.test({
  name: "terminal: control and format characters typed are shown as escapes and sent as typed",
  ignore: missing !== null,
  async fn() {
    await scene(60, async ({ alice, bob }) => {
      const line = "a\u202eb\u200bc\u009bd";
      await bob.type(line);
      const rows = await bob.waitFor((rows) => rows.some((row) => row.includes("d")));
      assert(
        rows.some((row) => row.startsWith(`${PROMPT}a\\u{202e}b\\u{200b}c\\x9bd`)),
        `shown as escapes:\n${rows.join("\n")}`,
      );
      assertEquals(await send(bob, alice), line);
    });
  },
});

Deno.test({
  name: "terminal: resizing the terminal redraws the half-typed line intact at the new width",
  ignore: missing !== null,
  async fn() {
    await scene(100, async ({ alice, bob }) => {
      await bob.type(LONG);
      await assertInput(bob, LONG);
      for (const columns of [60, 37, 130, 100]) {
        await bob.resize(columns, 30);
        await assertInput(bob, LONG);
      }
      await alice.send("a message after the resizes");
      await bob.waitFor((rows) => rows.some((row) => row.includes("alice: a message after")));
      await assertInput(bob, LONG);
      assertEquals(await send(bob, alice), LONG);
    });
  },
});

Deno.test({
  name: "terminal: Ctrl-L clears the screen and redraws the input at the top",
  ignore: missing !== null,
  async fn() {
    await scene(60, async ({ bob }) => {
      await bob.type("kept 日本");
      await bob.press("C-l");
      const rows = await bob.waitFor((rows) => rows[0].startsWith(PROMPT));
      assertEquals(rows.filter((row) => row !== ""), [`${PROMPT}kept 日本`]);
      await assertInput(bob, "kept 日本");
    });
  },
});

Deno.test({
  name:
    "terminal: the name is asked with the same editor, and an error it prints starts with p2pchat:",
  ignore: missing !== null,
  async fn() {
    const server = await startServe();
    const home = await Deno.makeTempDir();
    const bob = await openTerminal(
      bobCommand(server.port, home, false),
      { columns: 60, rows: 20 },
      {
        NO_COLOR: "1",
      },
    );
    try {
      await bob.waitFor((rows) => rows.some((row) => row.startsWith("Your name:")));
      await bob.type("b!");
      await bob.press("Enter");
      const rows = await bob.waitFor((rows) => rows.some((row) => row.includes("position 2")));
      assert(
        rows.some((row) => row.startsWith('p2pchat: The name has "!" at position 2')),
        rows.join("\n"),
      );
      assert(!rows.some((row) => row.startsWith("error:")), rows.join("\n"));
      await assertInput(bob, "", "Your name: ");
      await bob.type(`bo${FAMILY}`);
      await bob.press("BSpace");
      await bob.type("b");
      await assertInput(bob, "bob", "Your name: ");
      await bob.press("Enter");
      await bob.waitFor((rows) => rows.some((row) => row.includes("You are bob")));
    } finally {
      await bob.close();
      await server.stop();
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "terminal: Ctrl-Z stops the client and gives the shell its terminal; fg brings back the half-typed line",
  ignore: missing !== null,
  async fn() {
    const server = await startServe();
    const home = await Deno.makeTempDir();
    const shell = await openTerminal(
      ["bash", "--norc", "--noprofile", "-i"],
      { columns: 80, rows: 20 },
      { NO_COLOR: "1", PS1: "$ " },
    );
    try {
      await shell.waitFor((rows) => rows.some((row) => row.startsWith("$")));
      const quoted = bobCommand(server.port, home, true).map((arg) => `'${arg}'`).join(" ");
      await shell.type(quoted);
      await shell.press("Enter");
      await shell.waitFor((rows) => rows.some((row) => row.includes("You are bob")));
      await shell.type("half 日本");
      await assertInput(shell, "half 日本", "bob> ");
      await shell.press("C-z");
      await shell.waitFor((rows) => rows.some((row) => row.includes("Stopped")));
      await shell.type("fg");
      await shell.press("Enter");
      await assertInput(shell, "half 日本", "bob> ");
      await shell.type(" more");
      await assertInput(shell, "half 日本 more", "bob> ");
      await shell.press("C-u", "C-d");
      // The session ends as /quit does; the shell's prompt comes back on a clean row.
      await shell.waitFor((rows) => rows.filter((row) => row !== "").at(-1) === "$");
    } finally {
      await shell.close();
      await server.stop();
      await Deno.remove(home, { recursive: true });
    }
  },
});

const COOKED = ["isig", "icanon", "echo"];

for (const way of ["Ctrl-C", "Ctrl-D", "/quit", "SIGTERM"]) {
  Deno.test({
    name:
      `terminal: raw mode while the session runs, the terminal's modes restored after ${way} (exit 0)`,
    ignore: missing !== null,
    async fn() {
      await scene(60, async ({ bob }) => {
        await bob.type("half-typed");
        assertEquals(await bob.modes(), COOKED.map((mode) => `-${mode}`), "raw while editing");
        if (way === "Ctrl-C") await bob.press("C-c");
        if (way === "Ctrl-D") await bob.press("C-u", "C-d");
        if (way === "/quit") {
          await bob.press("C-u");
          await bob.type("/quit");
          await bob.press("Enter");
        }
        if (way === "SIGTERM") Deno.kill(await bob.pid(), "SIGTERM");
        const rows = await bob.waitFor((r) => r.some((row) => row.startsWith("[exit ")));
        assert(rows.includes("[exit 0]"), rows.join("\n"));
        assertEquals(await bob.modes(), COOKED, "cooked again for the shell");
      });
    },
  });
}
