import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { StorageError } from "../../storage/mod.ts";
import { CheckpointFile } from "./checkpoint_file.ts";

const fp = "ab".repeat(32);
const checkpoint = btoa(String.fromCharCode(...new Uint8Array(144)));

Deno.test("checkpoint file: kept checkpoints and counts survive a reload, the file is 0600, writes coalesce", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/checkpoints`;
    const file = await CheckpointFile.load(path);
    assertEquals(file.get(fp), undefined);
    await Promise.all([
      file.set(fp, { checkpoint, names: {} }),
      file.set(fp, { checkpoint, names: { alice: 3 } }),
    ]);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    const again = await CheckpointFile.load(path);
    assertEquals(again.get(fp), { checkpoint, names: { alice: 3 } });
    assert(await again.forget(fp));
    assertEquals((await CheckpointFile.load(path)).get(fp), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoint file: a file that is not one is refused, naming it and what is wrong", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/checkpoints`;
    for (
      const [text, why] of [
        ["not json", "not JSON"],
        ['{"zz": {}}', "is not a fingerprint"],
        [`{"${fp}": {"checkpoint": "AAAA"}}`, "malformed"],
        [`{"${fp}": {"names": {"alice": 0}}}`, "positive whole number"],
      ]
    ) {
      await Deno.writeTextFile(path, text, { mode: 0o600 });
      const error = await assertRejects(() => CheckpointFile.load(path), StorageError);
      assert(error.message.includes(path) && error.message.includes(why), error.message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
