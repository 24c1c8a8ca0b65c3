import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { CommandError, complete, parseCommand, replyTag } from "./commands.ts";
import { clientProblemWords } from "../terminal/mod.ts";
import { MAX_RE_LENGTH } from "./events.ts";

Deno.test("parseCommand() reads every command", () => {
  assertEquals(parseCommand("/list"), { kind: "list" });
  assertEquals(parseCommand("/list al"), { kind: "list", prefix: "al" });
  assertEquals(parseCommand("/whois bob"), { kind: "whois", name: "bob" });
  assertEquals(parseCommand("/chat bob"), { kind: "chat", name: "bob" });
  assertEquals(parseCommand("/accept bob"), { kind: "accept", name: "bob" });
  assertEquals(parseCommand("/decline bob"), { kind: "decline", name: "bob" });
  assertEquals(parseCommand("/msg bob hi there  you"), {
    kind: "msg",
    name: "bob",
    text: "hi there  you",
  });
  assertEquals(parseCommand("/chats"), { kind: "chats" });
  assertEquals(parseCommand("/fp"), { kind: "fp" });
  assertEquals(parseCommand("/fp bob"), { kind: "fp", name: "bob" });
  assertEquals(parseCommand("/verify bob"), { kind: "verify", name: "bob" });
  assertEquals(parseCommand("/trust bob"), { kind: "trust", name: "bob" });
  assertEquals(parseCommand("/help"), { kind: "help" });
  assertEquals(parseCommand("/quit"), { kind: "quit" });
});

Deno.test("parseCommand() treats EOM alone as the end, and other text as a message", () => {
  assertEquals(parseCommand("EOM"), { kind: "eom" });
  assertEquals(parseCommand("EOM\r"), { kind: "eom" });
  assertEquals(parseCommand("EOM please"), { kind: "say", text: "EOM please" });
  assertEquals(parseCommand("eom"), { kind: "say", text: "eom" });
  assertEquals(parseCommand("hello /list"), { kind: "say", text: "hello /list" });
  assertEquals(parseCommand("//list is a command"), { kind: "say", text: "/list is a command" });
  assertEquals(parseCommand("   "), { kind: "empty" });
});

Deno.test("parseCommand() sends a message's text as typed: U+2028, U+2029, U+FEFF and spacing belong to it", () => {
  for (
    const text of ["one\u2028two", "para\u2029graph", "\ufeffbom first", "last\ufeff", "  padded  "]
  ) {
    assertEquals(parseCommand(`/msg bob ${text}`), {
      kind: "msg",
      name: "bob",
      text: text.replace(/^[ \t]+/, ""),
    });
    assertEquals(parseCommand(text), { kind: "say", text });
  }
  assertEquals(parseCommand("/msg\tbob\tx"), { kind: "msg", name: "bob", text: "x" });
  assertEquals(
    parseCommand("\ufeff"),
    { kind: "say", text: "\ufeff" },
    "not blank: not ASCII space",
  );
});

Deno.test("parseCommand() says the right form for a malformed command", async () => {
  for (
    const [line, words] of [["/chat", "Usage: /chat NAME"], ["/msg bob", "Usage: /msg NAME TEXT"], [
      "/frob",
      "Unknown command /frob",
    ]]
  ) {
    const error = await assertRejects(
      () => Promise.resolve().then(() => parseCommand(line)),
      CommandError,
    );
    const said = clientProblemWords(error.problem);
    assertEquals(said.startsWith(words), true, said);
  }
});

Deno.test("complete() finishes commands first and names after them, ignoring case", () => {
  assertEquals(complete("/li", ["bob"]), [["/list "], "/li"], "one hit: with a space after it");
  assertEquals(complete("/c", []), [["/chat", "/chats", "/cancel"], "/c"]);
  assertEquals(complete("/chat B", ["alice", "bob", "Bobby"]), [["bob", "Bobby"], "B"]);
  assertEquals(complete("hello al", ["alice"]), [["alice "], "al"]);
  assertEquals(complete("/chat z", ["alice"]), [[], "z"], "no match changes nothing");
});

Deno.test("replyTag() is the line as typed, trimmed of spaces and tabs, cut to MAX_RE_LENGTH characters", () => {
  assertEquals(replyTag("  /list b \t"), "/list b");
  assertEquals(replyTag("/msg bob hi\r"), "/msg bob hi");
  assertEquals(replyTag("\ufeffhi"), "\ufeffhi", "other whitespace is text");
  const long = "👩".repeat(MAX_RE_LENGTH + 5);
  assertEquals([...replyTag(long)].length, MAX_RE_LENGTH, "cut between characters, not code units");
});

// Groups (issue 24).
Deno.test("parseCommand() reads the group commands: #TITLE picks a group where a name would go", () => {
  assertEquals(parseCommand("/group new team"), { kind: "group-new", title: "team" });
  assertEquals(parseCommand("/invite #team bob"), {
    kind: "group-invite",
    ref: "#team",
    name: "bob",
  });
  assertEquals(parseCommand("/join #team"), { kind: "group-join", ref: "#team" });
  assertEquals(parseCommand("/decline #team"), { kind: "group-decline", ref: "#team" });
  assertEquals(parseCommand("/decline bob"), { kind: "decline", name: "bob" });
  assertEquals(parseCommand("/chat #team"), { kind: "group-chat", ref: "#team" });
  assertEquals(parseCommand("/msg #team  hi  all"), {
    kind: "group-msg",
    ref: "#team",
    text: "hi  all",
  });
  assertEquals(parseCommand("/members #3fa2"), { kind: "group-members", ref: "#3fa2" });
  assertEquals(parseCommand("/groups"), { kind: "groups" });
  assertEquals(parseCommand("/remove #team bob"), {
    kind: "group-remove",
    ref: "#team",
    name: "bob",
  });
  assertEquals(parseCommand("/leave #team"), { kind: "group-leave", ref: "#team" });
  for (
    const [line, usage] of [["/group", "/group new TITLE"], [
      "/invite #team",
      "/invite #TITLE NAME",
    ]]
  ) {
    try {
      parseCommand(line);
      throw new Error(`${line} parsed`);
    } catch (error) {
      assertEquals((error as CommandError).problem, {
        code: "bad-command",
        problem: "usage",
        usage,
      });
    }
  }
  assertEquals(complete("/gro", []), [["/group", "/groups"], "/gro"]);
  assertEquals(complete("/chat #t", ["bob", "#team"]), [["#team "], "#t"]);
});
