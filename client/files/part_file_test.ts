import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { join } from "node:path";
import { isNoSpace, PartFile } from "./part_file.ts";

async function inDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("PartFile: created new with mode 0600, never through a symlink planted at its name", async () => {
  await inDir(async (dir) => {
    const target = join(dir, "target");
    await Deno.writeTextFile(target, "keep me");
    await Deno.symlink(target, join(dir, "report.pdf.part"));
    const part = await PartFile.create(dir, "report.pdf");
    assertEquals(part.base, "report (1).pdf.part", "the symlink's name is taken: the next one");
    await part.write(0, new TextEncoder().encode("data"));
    await part.close();
    assertEquals(await Deno.readTextFile(target), "keep me");
    assertEquals((await Deno.stat(part.path)).mode! & 0o777, 0o600);
  });
});

Deno.test("PartFile: placed under its name, or the first free 'name (n)', never over a file or a symlink", async () => {
  await inDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "report.pdf"), "older");
    await Deno.symlink("/etc/passwd", join(dir, "report (1).pdf"));
    await Deno.symlink(join(dir, "nowhere"), join(dir, "report (2).pdf"));
    const part = await PartFile.create(dir, "report.pdf");
    await part.write(0, new TextEncoder().encode("new"));
    const placed = await part.place("report.pdf");
    assertEquals(placed, join(dir, "report (3).pdf"));
    assertEquals(await Deno.readTextFile(placed), "new");
    assertEquals(await Deno.readTextFile(join(dir, "report.pdf")), "older");
    assertEquals(Deno.readLinkSync(join(dir, "report (2).pdf")), join(dir, "nowhere"));
    await assertRejects(() => Deno.stat(part.path), Deno.errors.NotFound);
  });
});

Deno.test("PartFile.reopen() refuses a symlink or a part longer than the file; hash() reads back", async () => {
  await inDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "big"), "0123456789");
    await Deno.symlink(join(dir, "big"), join(dir, "a.part"));
    assertEquals(await PartFile.reopen(dir, "a.part", 100), null, "a symlink is not followed");
    assertEquals(await PartFile.reopen(dir, "big", 5), null, "longer than the file offered");
    const part = (await PartFile.reopen(dir, "big", 10))!;
    const digest = await part.hash(2, 3);
    assertEquals(digest.length, 32);
    await part.close();
  });
});

Deno.test("isNoSpace() knows a full disk and a full quota by code or message", () => {
  assert(isNoSpace(Object.assign(new Error("x"), { code: "ENOSPC" })));
  assert(isNoSpace(new Error("No space left on device (os error 28)")));
  assert(!isNoSpace(new Error("Permission denied (os error 13)")));
});
