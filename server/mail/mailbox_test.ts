import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { DirectoryError, type NameKey } from "../../protocol/mod.ts";
import { redisMissing, startRedis } from "../../harness/redis_process.ts";
import {
  type Mailbox,
  MAX_FROM_ONE_SENDER,
  MAX_MAILBOX_BYTES,
  MAX_MAILBOX_MESSAGES,
} from "./mailbox.ts";
import { SqliteMailbox } from "./sqlite_mailbox.ts";
import { RedisMailbox } from "./redis_mailbox.ts";

const DAY = 24 * 3600 * 1000;
const TTL = 14 * DAY;
const bob = "bob" as NameKey;
const sealed = (n: number, size = 200) => new Uint8Array(size).fill(n % 251);

/** What every mailbox must do, whatever holds it; `now` is the injected clock. */
async function contract(mailbox: Mailbox): Promise<void> {
  const t0 = 1_800_000_000_000;
  // Held oldest first, paged by id, deleted by ack.
  const a = await mailbox.deposit(bob, "alice" as NameKey, sealed(1), t0);
  const b = await mailbox.deposit(bob, "carol" as NameKey, sealed(2), t0 + 1);
  assertEquals(a.expires, t0 + TTL);
  assert(b.id > a.id, "ids grow: oldest first is id order");
  const held = await mailbox.held(bob, t0 + 2, 0, 10);
  assertEquals(held.map((m) => m.id), [a.id, b.id]);
  assertEquals(held[0].sealed, sealed(1));
  assertEquals(held[0].stored, t0);
  assertEquals((await mailbox.held(bob, t0 + 2, a.id, 10)).map((m) => m.id), [b.id]);
  await mailbox.ack("mallory" as NameKey, [a.id]); // not mallory's to delete
  assertEquals((await mailbox.held(bob, t0 + 2, 0, 10)).length, 2);
  await mailbox.ack(bob, [a.id, b.id]);
  assertEquals(await mailbox.held(bob, t0 + 2, 0, 10), []);

  // Expiry: not delivered once the TTL has passed.
  await mailbox.deposit(bob, "alice" as NameKey, sealed(3), t0);
  assertEquals((await mailbox.held(bob, t0 + TTL - 1, 0, 10)).length, 1);
  assertEquals(await mailbox.held(bob, t0 + TTL, 0, 10), []);
  assertEquals(await mailbox.purge(t0 + TTL), 1, "the purge deletes the expired message");

  // Purge: the expired mail of every recipient goes, and is counted; live mail stays.
  const ivy = "ivy" as NameKey;
  const jack = "jack" as NameKey;
  await mailbox.deposit(ivy, "alice" as NameKey, sealed(4), t0 + 10);
  await mailbox.deposit(jack, "alice" as NameKey, sealed(5), t0 + 20);
  const kept = await mailbox.deposit(ivy, "carol" as NameKey, sealed(6), t0 + TTL);
  assertEquals(await mailbox.purge(t0 + TTL + 20), 2);
  assertEquals(await mailbox.purge(t0 + TTL + 20), 0, "nothing twice");
  assertEquals((await mailbox.held(ivy, t0 + TTL + 20, 0, 10)).map((m) => m.id), [kept.id]);
  assertEquals(await mailbox.held(jack, t0 + TTL + 20, 0, 10), []);
  await mailbox.ack(ivy, [kept.id]);

  // One sender: at most MAX_FROM_ONE_SENDER for one recipient; others still get through.
  const t1 = t0 + 2 * TTL;
  for (let i = 0; i < MAX_FROM_ONE_SENDER; i++) {
    await mailbox.deposit(bob, "alice" as NameKey, sealed(i, 10), t1);
  }
  const full = await assertRejects(
    () => mailbox.deposit(bob, "alice" as NameKey, sealed(0, 10), t1),
    DirectoryError,
    "mailbox-full",
  );
  assert(full.message.includes(`${MAX_FROM_ONE_SENDER} messages from you`), full.message);
  await mailbox.deposit(bob, "carol" as NameKey, sealed(0, 10), t1);
  // Expired ones free the bound again.
  await mailbox.deposit(bob, "alice" as NameKey, sealed(0, 10), t1 + TTL);

  // Bytes: at most MAX_MAILBOX_BYTES for one recipient, counted exactly (sizes that base64 pads).
  const dave = "dave" as NameKey;
  const size = 5000;
  const fit = Math.floor(MAX_MAILBOX_BYTES / size);
  const ids: number[] = [];
  for (let i = 0; i < fit; i++) {
    ids.push((await mailbox.deposit(dave, `s${i % 60}` as NameKey, sealed(i, size), t1)).id);
  }
  const rest = MAX_MAILBOX_BYTES - fit * size;
  await mailbox.deposit(dave, "last" as NameKey, sealed(0, rest), t1); // exactly full
  const bytes = await assertRejects(
    () => mailbox.deposit(dave, "zed" as NameKey, sealed(0, 1), t1),
    DirectoryError,
    "mailbox-full",
  );
  assert(bytes.message.includes("MiB"), bytes.message);
  // A delivered message frees exactly its own bytes.
  await mailbox.ack(dave, [ids[0]]);
  await assertRejects(
    () => mailbox.deposit(dave, "zed" as NameKey, sealed(0, size + 1), t1),
    DirectoryError,
    "mailbox-full",
  );
  await mailbox.deposit(dave, "zed" as NameKey, sealed(0, size), t1);

  // Messages: at most MAX_MAILBOX_MESSAGES for one recipient.
  const erin = "erin" as NameKey;
  for (let i = 0; i < MAX_MAILBOX_MESSAGES; i++) {
    await mailbox.deposit(erin, `s${i % 20}` as NameKey, sealed(i, 1), t1);
  }
  const count = await assertRejects(
    () => mailbox.deposit(erin, "zed" as NameKey, sealed(0, 1), t1),
    DirectoryError,
    "mailbox-full",
  );
  assert(count.message.includes(`${MAX_MAILBOX_MESSAGES} messages`), count.message);
}

Deno.test("SqliteMailbox holds mail oldest first, within its bounds and TTL, and purges what expired", async () => {
  const mailbox = new SqliteMailbox(":memory:", TTL);
  try {
    await contract(mailbox);
  } finally {
    await mailbox.close();
  }
});

Deno.test("SqliteMailbox keeps held mail across a restart", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = new SqliteMailbox(`${dir}/directory.sqlite`, TTL);
    await first.deposit(bob, "alice" as NameKey, sealed(7), 1000);
    await first.close();
    const second = new SqliteMailbox(`${dir}/directory.sqlite`, TTL);
    assertEquals((await second.held(bob, 2000, 0, 10)).map((m) => m.sealed), [sealed(7)]);
    await second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    `RedisMailbox holds, counts and purges mail as SqliteMailbox does, bounds checked atomically${
      redisMissing() ? ` (skipped: ${redisMissing()})` : ""
    }`,
  ignore: redisMissing() !== undefined,
  async fn() {
    const redis = await startRedis();
    const mailbox = await RedisMailbox.connect(redis.url, { ttlMs: TTL });
    try {
      await contract(mailbox);
      // Two instances racing past the per-sender bound: exactly the bound gets in.
      const other = await RedisMailbox.connect(redis.url, { ttlMs: TTL });
      const fred = "fred" as NameKey;
      const results = await Promise.allSettled(
        Array.from(
          { length: MAX_FROM_ONE_SENDER + 20 },
          (_, i) =>
            (i % 2 ? other : mailbox).deposit(fred, "alice" as NameKey, sealed(i, 10), Date.now()),
        ),
      );
      await other.close();
      assertEquals(results.filter((r) => r.status === "fulfilled").length, MAX_FROM_ONE_SENDER);
    } finally {
      await mailbox.close();
      await redis.close(); // stop() would keep its directory for a restart
    }
  },
});
