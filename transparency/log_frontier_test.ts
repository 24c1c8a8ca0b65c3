import fc from "fast-check";
import { assertEquals } from "../tests/assert.ts";
import { LogFrontier } from "./log_frontier.ts";
import { leafHash, MemoryLog } from "./merkle_log.ts";

Deno.test("property: the edge's head is the log's at every size, its nodes are what the append completes, and an edge loaded at any size goes on alike", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 130 }), fc.integer({ min: 0, max: 130 }), (n, cut) => {
      const log = new MemoryLog();
      const edge = new LogFrontier();
      let loaded: LogFrontier | undefined;
      for (let i = 0; i < n; i++) {
        if (i === Math.min(cut, n)) loaded = LogFrontier.of(i, log.perfect);
        const leaf = leafHash(new Uint8Array([i, i >> 8]));
        const expected = log.append(leaf);
        assertEquals(edge.append(leaf), expected);
        loaded?.append(leaf);
        assertEquals(edge.root(), log.root());
      }
      assertEquals(edge.size, n);
      if (loaded) assertEquals(loaded.root(), log.root());
      assertEquals(LogFrontier.of(n, log.perfect).root(), log.root());
    }),
    { numRuns: 60 },
  );
});
