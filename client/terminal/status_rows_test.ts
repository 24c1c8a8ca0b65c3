import fc from "fast-check";
import { assert, assertEquals } from "../../tests/assert.ts";
import { cellWidth } from "./cell_width.ts";
import { statusRow } from "./status_rows.ts";

const row = (name: string) => ({
  direction: "out" as const,
  name,
  bytes: 42,
  size: 100,
  rate: 12 * 1024 * 1024,
});

Deno.test("statusRow() fits name, percent, rate and ETA, cutting the name first, then dropping figures", () => {
  assertEquals(statusRow(row("report.pdf"), 80), "↑ report.pdf 42% 12 MiB/s ETA 0:00");
  assertEquals(
    statusRow(row("a-rather-long-file-name.tar.gz"), 40),
    "↑ a-rather-long-f… 42% 12 MiB/s ETA 0:00",
  );
  assertEquals(statusRow(row("a-rather-long-file-name.tar.gz"), 20), "↑ a-rather-long… 42%");
});

Deno.test("property: a status row never takes more cells than the terminal has", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "grapheme", maxLength: 80 }),
      fc.integer({ min: 4, max: 120 }),
      (name, columns) => {
        assert(cellWidth(statusRow(row(name), columns)) <= columns);
      },
    ),
  );
});
