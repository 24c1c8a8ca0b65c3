import { assert, assertEquals } from "../../tests/assert.ts";
import type { ClientEvent } from "../core/mod.ts";
import { jsonLine } from "./json_ui.ts";
import { worded } from "./worded_sink.ts";
import { promptWords, warningWords } from "./words.ts";
import { clientProblemWords, errorText, errorWords } from "./error_words.ts";
// Hole punching.
import { chatPathWords, pathChangedWords, punchFailedWords } from "./punch_words.ts";

type ErrorEvent = Extract<ClientEvent, { type: "error" }>;

Deno.test("errorWords() starts every error the terminal prints with p2pchat:, the client's and other layers' alike", () => {
  const own: ErrorEvent = {
    type: "error",
    code: "self",
    about: { code: "self", problem: "self", name: "alice", command: "/chat" },
  };
  const directory: ErrorEvent = {
    type: "error",
    code: "name-confusable",
    message: "The name caro1 looks like carol, which is taken",
  };
  assertEquals(errorWords(own), "p2pchat: alice is you: /chat needs someone else's name");
  assertEquals(errorWords(directory), "p2pchat: The name caro1 looks like carol, which is taken");
});

Deno.test("--json keeps an error's message bare, drops its facts, and keeps re", () => {
  const event: ClientEvent = {
    type: "error",
    code: "bad-command",
    about: { code: "bad-command", problem: "unknown-command", word: "/frob" },
    re: "/frob",
  };
  assertEquals(jsonLine(event), {
    type: "error",
    code: "bad-command",
    message: "Unknown command /frob; type /help for the list",
    re: "/frob",
  });
  const fromServer: ClientEvent = {
    type: "error",
    code: "not-found",
    message: "Nobody is called x",
  };
  assertEquals(jsonLine(fromServer), fromServer);
});

Deno.test("worded() gives the terminal an error's sentence; other events pass as they are", () => {
  const event: ClientEvent = {
    type: "error",
    code: "name-replaced",
    about: { code: "name-replaced", problem: "name-replaced" },
  };
  assert(
    String((worded(event) as ErrorEvent).message).startsWith("Another p2pchat with your identity"),
  );
  const current: ClientEvent = { type: "current", peer: "bob" };
  assertEquals(worded(current), current);
  assertEquals(errorText({ type: "error", code: "internal" }), "internal");
});

Deno.test("clientProblemWords() keeps the sentences scripts and people know", () => {
  assertEquals(
    clientProblemWords({ code: "bad-command", problem: "peer-online", peer: "bob" }),
    "bob is online: open a chat with /chat bob",
  );
  assertEquals(
    clientProblemWords({ code: "bad-command", problem: "usage", usage: "/chat NAME" }),
    "Usage: /chat NAME",
  );
});

Deno.test("promptWords() shows where a plain line goes: the chat, the peer mailed, or nowhere", () => {
  assertEquals(promptWords({ self: "alice", chat: "bob" }), "alice→bob> ");
  assertEquals(promptWords({ self: "alice", mail: "bob" }), "alice→bob (mail)> ");
  assertEquals(promptWords({ self: "alice" }), "alice> ");
});

// Hole punching (docs/protocol.md §11.2).
Deno.test("words say how a chat moved, why a punch failed, and who answered in the peer's place", () => {
  assertEquals(
    pathChangedWords({ type: "path-changed", peer: "bob", path: "direct", via: "punched" }),
    "chat with bob is now direct (punched through both NATs)",
  );
  assertEquals(
    pathChangedWords({ type: "path-changed", peer: "bob", path: "direct", via: "direct" }),
    "chat with bob is now direct",
  );
  assertEquals(
    punchFailedWords({ type: "punch-failed", peer: "bob", attempts: 3, detail: "timeout" }),
    "Could not punch a direct path to bob in 3 attempts (the connections never met; a NAT or " +
      "firewall between you drops them or changes ports); the chat stays on the relay",
  );
  const warning = warningWords({
    type: "security-warning",
    peer: "bob",
    reason: "unexpected-key",
    expected: "ab".repeat(32),
    got: "cd".repeat(32),
    detail: "punch",
  });
  assertEquals(warning.startsWith("While punching a direct path to bob, what answered"), true);
  assertEquals(chatPathWords({ path: "direct", via: "punched" }), ", punched");
  assertEquals(chatPathWords({ path: "relay" }), ", relayed");
});

// Groups (issue 24).
Deno.test("group warnings name the group and say what was refused; --json carries them as message", () => {
  const base = {
    type: "security-warning" as const,
    peer: "bob",
    expected: "",
    got: "ab".repeat(32),
    group: "cd".repeat(16),
    title: "team",
  };
  for (
    const reason of ["not-a-member", "not-admin", "old-membership", "membership-conflict"] as const
  ) {
    const line = jsonLine({ ...base, reason }) as { message: string };
    assert(line.message.includes("#team") && line.message.includes("bob"), line.message);
  }
  const untitled = jsonLine({ ...base, reason: "not-a-member", title: undefined }) as {
    message: string;
  };
  assert(untitled.message.includes("the group cdcdcdcd"), untitled.message);
});

Deno.test("group command refusals are worded from their facts, and the prompt names the current group", () => {
  assertEquals(
    clientProblemWords({ code: "not-admin", problem: "not-admin", title: "team", admin: "alice" }),
    "Only #team's admin, alice, can change who is in it",
  );
  assert(
    clientProblemWords({
      code: "unknown-group",
      problem: "ambiguous-group",
      ref: "team",
      ids: ["3fa2c1d0", "77aa0b1c"],
    })
      .includes("#3fa2c1d0, #77aa0b1c"),
  );
  assertEquals(promptWords({ self: "alice", chat: "bob", group: "team" }), "alice→#team> ");
});
