import fc from "fast-check";
import { assert, assertEquals } from "../../tests/assert.ts";
import { decodePeerMessage, encodePeerMessage } from "../chat/mod.ts";
import { PeerProtocolError } from "../core/mod.ts";
import {
  decodeFileFrame,
  encodeFileMessage,
  type FileMessage,
  FRAME_HEADER,
  MAX_CHUNKS,
  MAX_PIECE,
} from "./file_messages.ts";
import { MAX_MESSAGE } from "../../crypto/mod.ts";

const ID = "0123456789abcdef0123456789abcdef";
const HASH = "ab".repeat(32);
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** The rule decodePeerMessage() says `bytes` breaks ("" when it decodes). */
function refusal(bytes: Uint8Array): string {
  try {
    decodePeerMessage(bytes);
  } catch (error) {
    assert(error instanceof PeerProtocolError, String(error));
    return error.message;
  }
  return "";
}

const offer = {
  type: "file-offer",
  id: ID,
  name: "a.pdf",
  size: 3,
  sha256: HASH,
  chunk: 1 << 20,
  list: HASH,
};

Deno.test("file messages: every one decodes to what was encoded, JSON and binary alike", () => {
  const messages: FileMessage[] = [
    offer as FileMessage,
    { type: "file-accept", id: ID, have: "gA==" },
    { type: "file-decline", id: ID, reason: "too-large", max: 1024 },
    { type: "file-end", id: ID },
    { type: "file-want", id: ID, have: "", list: true },
    { type: "file-done", id: ID },
    { type: "file-ack", id: ID, bytes: 524288 },
    { type: "file-cancel", id: ID, reason: "changed" },
    { type: "file-list", id: ID, offset: 32, data: new Uint8Array(64).fill(7) },
    { type: "file-data", id: ID, index: 9, offset: MAX_PIECE, data: new Uint8Array([1, 2, 3]) },
  ];
  for (const message of messages) {
    assertEquals(decodePeerMessage(encodePeerMessage(message)), message);
  }
  assertEquals(encodeFileMessage(messages[9])[0], 0x00, "binary messages start with 0x00");
  assertEquals(encodeFileMessage(messages[0])[0], "{".charCodeAt(0));
});

Deno.test("file offers: sizes, chunk sizes, chunk counts, hashes and names are bounded", () => {
  assertEquals(
    refusal(json({ ...offer, size: -1 })),
    '"size" must be a size from 0 to 4398046511104 bytes',
  );
  assertEquals(
    refusal(json({ ...offer, size: 1.5 })),
    '"size" must be a size from 0 to 4398046511104 bytes',
  );
  assertEquals(
    refusal(json({ ...offer, size: 2 ** 53 })),
    '"size" must be a size from 0 to 4398046511104 bytes',
  );
  assertEquals(
    refusal(json({ ...offer, chunk: 3000 })),
    '"chunk" must be a power of two from 64 KiB to 64 MiB',
  );
  assertEquals(
    refusal(json({ ...offer, chunk: 1 << 30 })),
    '"chunk" must be a power of two from 64 KiB to 64 MiB',
  );
  assertEquals(
    refusal(json({ ...offer, chunk: 65536, size: 65536 * MAX_CHUNKS + 1 })),
    `an offer of more than ${MAX_CHUNKS} chunks`,
  );
  assertEquals(
    refusal(json({ ...offer, sha256: "AB".repeat(32) })),
    '"sha256" must be a SHA-256 in 64 hex digits',
  );
  assertEquals(
    refusal(json({ ...offer, list: "ab" })),
    '"list" must be a SHA-256 in 64 hex digits',
  );
  assertEquals(
    refusal(json({ ...offer, id: "x".repeat(32) })),
    '"id" must be a 32-digit hex transfer id',
  );
  assertEquals(
    refusal(json({ ...offer, name: "n".repeat(1025) })),
    '"name" must be a name of at most 1024 characters',
  );
  assertEquals(
    refusal(json({ ...offer, name: 7 })),
    '"name" must be a name of at most 1024 characters',
  );
  assertEquals(
    refusal(json({ type: "file-cancel", id: ID, reason: "because" })),
    '"reason" must be a reason',
  );
  assertEquals(refusal(json({ type: "file-frob", id: ID })), "a file message of an unknown type");
  assertEquals(
    refusal(json({ type: "file-accept", id: ID, have: "not base64!" })),
    '"have" must be a base64 bitmap',
  );
});

Deno.test("binary file messages: short, oversized, unknown kinds and off-grid lists are refused", () => {
  const frame = (kind: number, index: number, offset: number, data: number) => {
    const bytes = new Uint8Array(FRAME_HEADER + data);
    bytes[1] = kind;
    new DataView(bytes.buffer).setUint32(18, index);
    new DataView(bytes.buffer).setUint32(22, offset);
    return bytes;
  };
  assertEquals(refusal(new Uint8Array([0, 2, 1])), "a file message shorter than its header");
  assertEquals(refusal(frame(2, 0, 0, 0)), "a file message shorter than its header");
  assertEquals(refusal(frame(7, 0, 0, 1)), "a binary file message of an unknown kind");
  assertEquals(refusal(frame(1, 0, 16, 32)), "a hash list piece that is not whole hashes");
  assertEquals(refusal(frame(1, 0, 0, 33)), "a hash list piece that is not whole hashes");
  assertEquals(refusal(frame(1, 3, 0, 32)), "a hash list piece with an index");
  assertEquals(refusal(frame(2, MAX_CHUNKS, 0, 1)), `chunk data for a chunk past ${MAX_CHUNKS}`);
  assertEquals(refusal(frame(2, 0, 2 ** 31, 1)), "chunk data past the largest chunk");
  assertEquals(
    refusal(new Uint8Array(MAX_MESSAGE + 1)),
    `a file message of more than ${MAX_MESSAGE} bytes`,
  );
  assertEquals(refusal(frame(2, 1, 0, MAX_PIECE)), "");
});

Deno.test("property: no byte string crashes the file decoder; it decodes or names the rule broken", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      bytes[0] = 0;
      try {
        decodeFileFrame(bytes);
      } catch (error) {
        assert(error instanceof PeerProtocolError);
      }
    }),
    { numRuns: 2000 },
  );
});
