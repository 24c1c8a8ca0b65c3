import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { Identity, MailError, openMail, sealMail, utf8, verifyPrekey } from "../../crypto/mod.ts";
import { MailBook } from "./mail_book.ts";
import { PREKEY_KEEP_MS, PREKEY_ROTATE_MS, PrekeyRing } from "./prekey_ring.ts";

const DAY = 24 * 3600 * 1000;

Deno.test("PrekeyRing rotates weekly, keeps old prekeys 30 days, and a message sealed to last week's still opens", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/prekeys`;
  const bob = Identity.generate();
  const alice = Identity.generate();
  const t0 = 1_800_000_000_000;
  const ring = await PrekeyRing.load(path);
  const first = await ring.current(t0);
  assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  assert(verifyPrekey(bob.public, first.signedBy(bob)));
  assertEquals((await ring.current(t0 + PREKEY_ROTATE_MS - 1)).public, first.public);
  // Sealed while `first` was current; bob reads it after the rotation, from a reloaded ring.
  const sealed = await sealMail(alice, bob.public, first.public, utf8("from last week"));
  const second = await ring.current(t0 + PREKEY_ROTATE_MS);
  assert(second.public.toString() !== first.public.toString(), "rotated");
  const reloaded = await PrekeyRing.load(path);
  const now = t0 + PREKEY_ROTATE_MS + DAY;
  const opened = await openMail(bob.public, reloaded.all(now), sealed);
  assertEquals(new TextDecoder().decode(opened.body), "from last week");
  // Past 30 days the old prekey is deleted, and the message is refused with a reason.
  const late = t0 + PREKEY_KEEP_MS;
  await reloaded.current(late);
  const error = await assertRejects(
    () => openMail(bob.public, reloaded.all(late), sealed),
    MailError,
    "unknown-prekey",
  );
  assert(error.message.includes("30 days"), error.message);
  assertEquals(JSON.parse(await Deno.readTextFile(path)).length, 2, "first deleted from the file");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("MailBook shows an id once, forgets receipted and expired messages, drops the oldest past its bound, and survives a reload", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/mail`;
  const book = await MailBook.load(path);
  const message = (id: string, expires: number) => ({
    id,
    peer: "bob",
    key: "K",
    text: id,
    time: 0,
    expires,
  });
  await book.sent(message("a", 100));
  await book.sent(message("b", 200));
  assertEquals(await book.receipted("not-bob", ["a"]), [], "only the recipient's receipt counts");
  assertEquals((await book.receipted("K", ["a"])).map((m) => m.id), ["a"]);
  assertEquals((await book.expired(150)).map((m) => m.id), []);
  assert(await book.firstSight("fp", "x", 10));
  const again = await MailBook.load(path);
  assertEquals(again.outbox.map((m) => m.id), ["b"]);
  assert(!await again.firstSight("fp", "x", 20), "a replay after a restart");
  assertEquals((await again.expired(200)).map((m) => m.id), ["b"]);
  assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  const small = await MailBook.load(`${dir}/small`, 2);
  assertEquals(await small.sent(message("c", 300)), undefined);
  assertEquals(await small.sent(message("d", 300)), undefined);
  assertEquals((await small.sent(message("e", 300)))?.id, "c", "past its bound the oldest goes");
  assertEquals(small.outbox.map((m) => m.id), ["d", "e"]);
  await Deno.chmod(path, 0o644);
  await assertRejects(() => MailBook.load(path), Error, "insecure-permissions");
  await Deno.remove(dir, { recursive: true });
});
