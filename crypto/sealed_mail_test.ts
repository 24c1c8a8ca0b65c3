import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { concatBytes, utf8 } from "./bytes.ts";
import { MailError } from "./errors.ts";
import { Identity } from "./identity.ts";
import {
  MAIL_HEADER_LENGTH,
  mailSender,
  openMail,
  Prekey,
  sealMail,
  verifyPrekey,
} from "./sealed_mail.ts";

const alice = Identity.generate();
const bob = Identity.generate();
const bobPrekey = Prekey.generate(1_700_000_000_000);

async function sealed(text = "see you at nine"): Promise<Uint8Array> {
  return await sealMail(alice, bob.public, bobPrekey.public, utf8(text));
}

async function code(envelope: Uint8Array, prekeys = [bobPrekey]): Promise<string> {
  try {
    await openMail(bob.public, prekeys, envelope);
    return "opened";
  } catch (error) {
    assert(error instanceof MailError, String(error));
    return error.code;
  }
}

Deno.test("a sealed message opens for its recipient, names its signer and hides its text", async () => {
  const envelope = await sealed();
  const opened = await openMail(bob.public, [bobPrekey], envelope);
  assertEquals(new TextDecoder().decode(opened.body), "see you at nine");
  assertEquals(opened.sender.fingerprint, alice.public.fingerprint);
  assertEquals(mailSender(envelope)?.fingerprint, alice.public.fingerprint);
  assert(!new TextDecoder().decode(envelope).includes("see you"), "no plaintext in the envelope");
  const again = await sealed();
  assert(
    again.subarray(MAIL_HEADER_LENGTH - 65, MAIL_HEADER_LENGTH).toString() !==
      envelope.subarray(MAIL_HEADER_LENGTH - 65, MAIL_HEADER_LENGTH).toString(),
    "a fresh ephemeral key each time",
  );
});

Deno.test("every altered byte of a sealed message is caught", async () => {
  const envelope = await sealed();
  const seen = new Set<string>();
  for (let i = 0; i < envelope.length; i++) {
    const bad = envelope.slice();
    bad[i] ^= 0x01;
    const result = await code(bad);
    assert(result !== "opened", `byte ${i} flipped still opened`);
    seen.add(result);
  }
  // The version, the recipient, the prekey, the AEAD: each says what broke.
  for (const expected of ["malformed", "not-for-me", "unknown-prekey", "tampered"]) {
    assert(seen.has(expected), `${expected} among ${[...seen]}`);
  }
  for (const cut of [0, 10, MAIL_HEADER_LENGTH, envelope.length - 1]) {
    assert(
      ["malformed", "tampered"].includes(await code(envelope.subarray(0, cut))),
      `cut at ${cut}`,
    );
  }
});

Deno.test("a message sealed by someone who names alice but is not her fails the signature", async () => {
  // The directory knows bob's prekey: it can seal, but only with its own signature.
  const mallory = Identity.generate();
  const forged = await sealMail(mallory, bob.public, bobPrekey.public, utf8("from alice"));
  forged.set(alice.public.key, 1); // claim alice in the header: the AEAD then fails
  assertEquals(await code(forged), "tampered");
  // A forger who builds the header with alice's key from the start: only the signature can tell.
  const header = forged.subarray(0, MAIL_HEADER_LENGTH);
  const { hkdf } = await import("./hkdf.ts");
  const { AesGcmKey } = await import("./aead.ts");
  const { EphemeralKey } = await import("./ecdh.ts");
  const { MAIL_KEY_CONTEXT } = await import("./sealed_mail.ts");
  const ephemeral = EphemeralKey.generate();
  header.set(ephemeral.publicRaw, MAIL_HEADER_LENGTH - 65);
  const okm = hkdf(
    ephemeral.agree(bobPrekey.public),
    new Uint8Array(32),
    concatBytes(MAIL_KEY_CONTEXT, header),
    44,
  );
  const body = utf8("from alice");
  const inner = concatBytes(mallory.sign(body), body);
  const ciphertext = await AesGcmKey.import(okm.subarray(0, 32)).seal(
    okm.subarray(32),
    inner,
    header,
  );
  assertEquals(await code(concatBytes(header, ciphertext)), "bad-signature");
});

Deno.test("a message to a prekey not kept is refused with unknown-prekey; another recipient's with not-for-me", async () => {
  const envelope = await sealed();
  assertEquals(await code(envelope, [Prekey.generate(Date.now())]), "unknown-prekey");
  await assertRejects(
    () => openMail(alice.public, [bobPrekey], envelope),
    MailError,
    "not-for-me",
  );
});

Deno.test("a prekey is signed by its owner over its key and time; a swapped one fails", () => {
  const signed = bobPrekey.signedBy(bob);
  assert(verifyPrekey(bob.public, signed));
  assert(!verifyPrekey(alice.public, signed), "another owner");
  assert(!verifyPrekey(bob.public, { ...signed, created: signed.created + 1 }), "another time");
  const other = Prekey.generate(signed.created);
  assert(!verifyPrekey(bob.public, { ...signed, key: other.public }), "another key");
  const copy = Prekey.fromJSON(JSON.parse(JSON.stringify(bobPrekey)));
  assertEquals(copy.public, bobPrekey.public);
  assertEquals(copy.created, bobPrekey.created);
});
