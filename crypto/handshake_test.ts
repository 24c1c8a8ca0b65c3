import fc from "fast-check";
import { assert, assertEquals } from "../tests/assert.ts";
import { fromHex, utf8 } from "./bytes.ts";
import { ChannelError } from "./errors.ts";
import { encodeFrame, type Frame, HEADER_LENGTH } from "./frame.ts";
import { MAX_HANDSHAKE_BODY, startInitiator, startResponder } from "./handshake.ts";
import { Identity } from "./identity.ts";
import { computeVectors, RECORD_TEXTS, vectorsMarkdown } from "./testdata/vectors.ts";

const identity = Identity.generate();

const asFrame = (b: Uint8Array): Frame => ({
  type: b[0],
  header: b.subarray(0, HEADER_LENGTH),
  body: b.subarray(HEADER_LENGTH),
  bytes: b,
});

Deno.test("property: any frame fed to each handshake step ends in a typed HandshakeError", async () => {
  await fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ maxLength: MAX_HANDSHAKE_BODY }),
      fc.integer({ min: 0, max: 2 }),
      (type, body, step) => {
        const frame = asFrame(encodeFrame(type, body));
        try {
          if (step === 0) {
            startResponder(identity).readCommit(frame);
          } else if (step === 1) {
            startInitiator(identity).next.readResponse(frame);
          } else {
            const commit = startInitiator(identity);
            const response = startResponder(identity).readCommit(asFrame(commit.message));
            commit.next.readResponse(asFrame(response.message)).next.readResponderAuth(frame);
          }
        } catch (error) {
          assert(error instanceof ChannelError, `untyped: ${error}`);
          return;
        }
        // Random bytes can only pass the commit step, whose body is just a version and 32 bytes.
        assertEquals(step, 0);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("handshake states are used once: stepping one twice is a TypeError", () => {
  const commit = startInitiator(identity);
  const responder = startResponder(identity);
  const response = responder.readCommit(asFrame(commit.message));
  let thrown: unknown;
  try {
    responder.readCommit(asFrame(commit.message));
  } catch (error) {
    thrown = error;
  }
  assert(thrown instanceof TypeError);
  commit.next.readResponse(asFrame(response.message));
  thrown = undefined;
  try {
    commit.next.readResponse(asFrame(response.message));
  } catch (error) {
    thrown = error;
  }
  assert(thrown instanceof TypeError, "the same ephemeral key is never used for a second reveal");
});

Deno.test("handshake steps out of order do not type-check", () => {
  const commit = startInitiator(identity);
  const frame = asFrame(commit.message);
  // Each line below is a compile error (deno check fails if one stops being one).
  // @ts-expect-error: the initiator's first state cannot read a responder's proof.
  const skip = () => commit.next.readResponderAuth(frame);
  // @ts-expect-error: the responder's first state cannot read a reveal.
  const early = () => startResponder(identity).readReveal(frame);
  assertEquals(typeof skip, "function");
  assertEquals(typeof early, "function");
});

const stored: Record<string, string> = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/handshake_vectors.json", import.meta.url)),
);

Deno.test("handshake known-answer vectors: the code reproduces every stored byte", () => {
  assertEquals(computeVectors(), stored);
});

Deno.test("handshake known-answer vectors: docs/protocol.md Appendix A lists exactly them", async () => {
  const doc = await Deno.readTextFile(new URL("../docs/protocol.md", import.meta.url));
  assert(
    doc.includes(vectorsMarkdown(stored)),
    "Appendix A is out of date: run deno task vectors --markdown and paste its output",
  );
});

Deno.test("handshake known-answer records open with WebCrypto under the documented keys", async () => {
  const material = fromHex(stored.application_key_material);
  const open = async (keyAt: number, ivAt: number, record: string, seq: number) => {
    const frame = fromHex(record);
    const key = await crypto.subtle.importKey(
      "raw",
      material.slice(keyAt, keyAt + 32),
      "AES-GCM",
      false,
      ["decrypt"],
    );
    const nonce = material.slice(ivAt, ivAt + 12);
    nonce[11] ^= seq;
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: nonce, additionalData: frame.slice(0, 13) },
      key,
      frame.slice(13),
    );
    return new TextDecoder().decode(plain);
  };
  // material = key_i2r (32) || key_r2i (32) || iv_i2r (12) || iv_r2i (12), docs/protocol.md §4.
  assertEquals(await open(0, 64, stored.record_i2r_0, 0), RECORD_TEXTS.i2r[0]);
  assertEquals(await open(0, 64, stored.record_i2r_1, 1), RECORD_TEXTS.i2r[1]);
  assertEquals(await open(32, 76, stored.record_r2i_0, 0), RECORD_TEXTS.r2i[0]);
  assertEquals(await open(32, 76, stored.record_r2i_1, 1), RECORD_TEXTS.r2i[1]);
  assertEquals(utf8(RECORD_TEXTS.i2r[0]).length, 15);
});
