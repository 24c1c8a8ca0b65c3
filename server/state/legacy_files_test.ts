import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals } from "../../tests/assert.ts";
import { type NameKey, nameSkeleton, parseName } from "../../protocol/mod.ts";
import { SqliteMailbox } from "../mail/mod.ts";
import { readSqliteBindings, SqliteNameStore } from "./name_store.ts";
import { openDirectoryDatabase } from "./open_database.ts";

const T = 1_800_000_000_000;
const alice = "alice" as NameKey;
const prekey = { key: "BA==", created: T, sig: "AA==" };

/** A data directory as an older p2pchat left it: names.sqlite and mail.sqlite, their schemas of then. */
function legacyDataDir(dir: string): void {
  const names = new DatabaseSync(join(dir, "names.sqlite"));
  names.exec(`PRAGMA journal_mode = WAL;
    CREATE TABLE bindings (key TEXT PRIMARY KEY, name TEXT NOT NULL, public_key BLOB NOT NULL,
      last_used INTEGER NOT NULL) WITHOUT ROWID;`);
  const bind = names.prepare("INSERT INTO bindings VALUES (?, ?, ?, ?)");
  bind.run("alice", "Alice", new Uint8Array(32).fill(1), T);
  bind.run("bob.", "bob.", new Uint8Array(32).fill(2), T - 1);
  names.close();
  const mail = new DatabaseSync(join(dir, "mail.sqlite"));
  mail.exec(`PRAGMA journal_mode = WAL;
    CREATE TABLE mail (id INTEGER PRIMARY KEY AUTOINCREMENT, recipient TEXT NOT NULL,
      sender TEXT NOT NULL, sealed BLOB NOT NULL, stored INTEGER NOT NULL);
    CREATE TABLE prekeys (owner TEXT PRIMARY KEY, key TEXT NOT NULL, prekey TEXT NOT NULL)
      WITHOUT ROWID;`);
  const hold = mail.prepare("INSERT INTO mail VALUES (?, ?, ?, ?, ?)");
  hold.run(7, "alice", "carol", new Uint8Array([7]), T);
  hold.run(9, "alice", "dave", new Uint8Array([9]), T + 1);
  mail.prepare("INSERT INTO prekeys VALUES (?, ?, ?)").run("alice", "a2V5", JSON.stringify(prekey));
  mail.close();
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("serve's database takes in names.sqlite and mail.sqlite once, keeping every binding, prekey and held message", async () => {
  const dir = await Deno.makeTempDir();
  try {
    legacyDataDir(dir);
    const { database, migration } = await openDirectoryDatabase(dir);
    assertEquals(migration, {
      bindings: 2,
      prekeys: 1,
      mail: 2,
      imported: ["names.sqlite", "mail.sqlite"],
      ignored: [],
    });
    const store = new SqliteNameStore(database);
    const mailbox = new SqliteMailbox(database);
    try {
      assertEquals(store.get(alice)?.name, "Alice");
      assertEquals(store.get(alice)?.lastUsed, T);
      assertEquals(store.get("bob." as NameKey)?.name, "bob.", "a legacy name stays");
      assertEquals(
        store.withSkeleton(nameSkeleton(parseName("a1ice"))).map((b) => b.name),
        ["Alice"],
        "bindings of before get their look-alike skeleton",
      );
      assertEquals(store.prekey(alice), { key: "a2V5", prekey });
      const held = await mailbox.held(alice, T + 2, 0, 10);
      assertEquals(held.map((m) => [m.id, m.sealed[0], m.stored]), [[7, 7, T], [9, 9, T + 1]]);
      assert((await mailbox.deposit(alice, "erin" as NameKey, new Uint8Array(1), T + 2)).id > 9);
      await mailbox.ack(alice, [7]);
    } finally {
      store.close();
      await mailbox.close();
    }
    for (const file of ["names.sqlite", "mail.sqlite"]) {
      assert(!await exists(join(dir, file)), `${file} is set aside`);
      assert(await exists(join(dir, `${file}.migrated`)), `${file} is kept as ${file}.migrated`);
    }
    assertEquals((await Deno.stat(join(dir, "directory.sqlite"))).mode! & 0o777, 0o600);

    // Interrupted after the import but before the last rename: nothing comes back twice.
    await Deno.rename(join(dir, "mail.sqlite.migrated"), join(dir, "mail.sqlite.migrating"));
    await Deno.copyFile(join(dir, "names.sqlite.migrated"), join(dir, "names.sqlite"));
    const again = await openDirectoryDatabase(dir);
    assertEquals(again.migration.imported, []);
    assertEquals(again.migration.ignored, [join(dir, "names.sqlite")]);
    assert(await exists(join(dir, "mail.sqlite.migrated")));
    const after = new SqliteMailbox(again.database);
    try {
      const ids = (await after.held(alice, T + 2, 0, 10)).map((m) => m.id);
      assertEquals(ids.length, 2, "the message delivered since is not brought back");
      assertEquals(ids[0], 9);
    } finally {
      await after.close();
    }
    assertEquals(readSqliteBindings(join(dir, "names.sqlite")).map((b) => b.name), [
      "Alice",
      "bob.",
    ]);
    const copied = readSqliteBindings(join(dir, "directory.sqlite"));
    assertEquals(copied.map((b) => [b.name, b.prekey?.key]), [["Alice", "a2V5"], [
      "bob.",
      undefined,
    ]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
