/**
 * Known-answer vectors for the handshake and the first records
 * (docs/protocol.md, Appendix A): fixed identity seeds and ephemeral keys in,
 * every byte out. `deno task vectors` prints them as JSON and as the
 * appendix's Markdown; `crypto/handshake_vectors_test.ts` checks that both
 * the stored JSON and the appendix match what the code produces.
 *
 * @module
 */
import { concatBytes, fromHex, sha256, toHex, utf8 } from "../mod.ts";
import { EphemeralKey } from "../mod.ts";
import { type Frame, FrameType, HEADER_LENGTH } from "../mod.ts";
import { startInitiator, startResponder } from "../mod.ts";
import { hkdf } from "../mod.ts";
import { Identity } from "../mod.ts";
import { Label } from "../mod.ts";
import { RecordSealer } from "../mod.ts";

/** Every input and output of one handshake and its first two records each way, as hex. */
export type Vectors = Record<string, string>;

/** The fixed inputs: two identity seeds and two ephemeral private scalars. */
export const INPUTS = {
  initiator_identity_seed: "0101010101010101010101010101010101010101010101010101010101010101",
  responder_identity_seed: "0202020202020202020202020202020202020202020202020202020202020202",
  initiator_ephemeral_private: "1111111111111111111111111111111111111111111111111111111111111111",
  responder_ephemeral_private: "2222222222222222222222222222222222222222222222222222222222222222",
} as const;

/** The application messages sealed into the first records, in order. */
export const RECORD_TEXTS = {
  i2r: ["hello responder", "second from initiator"],
  r2i: ["hello initiator", "second from responder"],
} as const;

function asFrame(bytes: Uint8Array): Frame {
  return {
    type: bytes[0],
    header: bytes.subarray(0, HEADER_LENGTH),
    body: bytes.subarray(HEADER_LENGTH),
    bytes,
  };
}

/** Runs the handshake on the fixed inputs and returns every value, in wire order. */
export function computeVectors(): Vectors {
  const initiatorIdentity = Identity.fromSeed(fromHex(INPUTS.initiator_identity_seed));
  const responderIdentity = Identity.fromSeed(fromHex(INPUTS.responder_identity_seed));
  const eI = EphemeralKey.fromPrivate(fromHex(INPUTS.initiator_ephemeral_private));
  const eR = EphemeralKey.fromPrivate(fromHex(INPUTS.responder_ephemeral_private));

  const m1 = startInitiator(initiatorIdentity, { ephemeral: () => eI });
  const m2 = startResponder(responderIdentity, { ephemeral: () => eR })
    .readCommit(asFrame(m1.message));
  const m3 = m1.next.readResponse(asFrame(m2.message));
  const m4 = m2.next.readReveal(asFrame(m3.message));
  const m5 = m3.next.readResponderAuth(asFrame(m4.message));
  const responderSession = m4.next.readInitiatorAuth(asFrame(m5.message));
  const initiatorSession = m5.session;

  // Recomputed here from the documented key schedule (§4, §5), independently of the handshake.
  const dh = EphemeralKey.fromPrivate(fromHex(INPUTS.initiator_ephemeral_private))
    .agree(eR.publicRaw);
  const th3 = sha256(concatBytes(m1.message, m2.message, m3.message));
  const th5 = sha256(concatBytes(m1.message, m2.message, m3.message, m4.message, m5.message));
  const handshakeMaterial = hkdf(dh, th3, utf8(Label.handshake), 88);
  const applicationMaterial = hkdf(dh, th5, utf8(Label.application), 88);

  const records = (sealer: RecordSealer, texts: readonly string[]): string[] =>
    texts.map((text) => toHex(sealer.seal(FrameType.Data, utf8(text)) as Uint8Array));
  const [i2r1, i2r2] = records(
    new RecordSealer(initiatorSession.keys.initiatorToResponder),
    RECORD_TEXTS.i2r,
  );
  const [r2i1, r2i2] = records(
    new RecordSealer(responderSession.keys.responderToInitiator),
    RECORD_TEXTS.r2i,
  );
  if (initiatorSession.sas !== responderSession.sas) throw new Error("SAS differ");
  return {
    ...INPUTS,
    initiator_identity_public: toHex(initiatorIdentity.public.key),
    responder_identity_public: toHex(responderIdentity.public.key),
    initiator_ephemeral_public: toHex(eI.publicRaw),
    responder_ephemeral_public: toHex(eR.publicRaw),
    m1_commit: toHex(m1.message),
    m2_response: toHex(m2.message),
    m3_reveal: toHex(m3.message),
    m4_responder_auth: toHex(m4.message),
    m5_initiator_auth: toHex(m5.message),
    ecdh_shared_secret: toHex(dh),
    th3: toHex(th3),
    handshake_key_material: toHex(handshakeMaterial),
    th5: toHex(th5),
    application_key_material: toHex(applicationMaterial),
    sas: initiatorSession.sas,
    record_i2r_0: i2r1,
    record_i2r_1: i2r2,
    record_r2i_0: r2i1,
    record_r2i_1: r2i2,
  };
}

/** The vectors as docs/protocol.md's Appendix A lists them. */
export function vectorsMarkdown(vectors: Vectors): string {
  const lines = ["```"];
  for (const [name, value] of Object.entries(vectors)) {
    lines.push(`${name}:`);
    for (let i = 0; i < value.length; i += 96) lines.push(`  ${value.slice(i, i + 96)}`);
  }
  lines.push("```");
  return lines.join("\n");
}

if (import.meta.main) {
  const vectors = computeVectors();
  if (Deno.args.includes("--markdown")) console.log(vectorsMarkdown(vectors));
  else console.log(JSON.stringify(vectors, null, 2));
}
