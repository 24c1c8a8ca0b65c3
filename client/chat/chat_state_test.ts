import { assertEquals } from "../../tests/assert.ts";
import {
  type ChatState,
  type ChatStep,
  endedBy,
  isClosing,
  mayMove,
  nextState,
} from "./chat_state.ts";

const run = (steps: ChatStep["type"][]): ChatState =>
  steps.reduce<ChatState>(
    (state, type) =>
      nextState(
        state,
        type === "finished"
          ? { type, outcome: { reason: "eom", by: "you" } }
          : { type } as ChatStep,
      ),
    { kind: "open" },
  );

Deno.test("nextState(): a peer's moved waits for the move, which reopens the chat", () => {
  assertEquals(run(["peer-moved"]), { kind: "moving" });
  assertEquals(run(["peer-moved", "migrated"]), { kind: "open" });
  assertEquals(run(["migrated"]), { kind: "open" }, "our own move from an open chat");
  assertEquals(mayMove(run(["peer-moved"])), true);
  assertEquals(isClosing(run(["peer-moved"])), false, "a chat waiting for its move can still send");
});

Deno.test("nextState(): whoever said EOM first ended it; our end after the peer's is still ours", () => {
  assertEquals(run(["end", "peer-eom"]), { kind: "ending" });
  assertEquals(run(["peer-eom"]), { kind: "peer-ended" });
  assertEquals(run(["peer-eom", "end"]), { kind: "ending" });
  assertEquals(endedBy(run(["end", "peer-eom"]), false), "you");
  assertEquals(endedBy(run(["peer-eom"]), true), "peer");
  assertEquals(endedBy(run([]), true), "you", "closed without EOM: whoever closed");
  assertEquals(endedBy(run([]), false), "peer");
  for (const state of [run(["end"]), run(["peer-eom"])]) {
    assertEquals([isClosing(state), mayMove(state)], [true, false], state.kind);
  }
});

Deno.test("nextState(): over is final", () => {
  const over = run(["finished"]);
  for (const type of ["end", "peer-eom", "peer-moved", "migrated", "finished"] as const) {
    assertEquals(run(["finished", type]), over, type);
  }
  assertEquals([isClosing(over), mayMove(over)], [true, false]);
});
