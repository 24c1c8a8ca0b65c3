/**
 * `deno task bench-primitives`: the per-call costs that decided which library
 * serves each primitive (docs/protocol.md §1), node:crypto against WebCrypto,
 * side by side in one `deno bench` run.
 */
import { createCipheriv, generateKeyPairSync, sign, verify } from "node:crypto";
import { EphemeralKey } from "../crypto/mod.ts";

const key = crypto.getRandomValues(new Uint8Array(32));
const iv = new Uint8Array(12);
const small = new Uint8Array(100);
const large = new Uint8Array(64 * 1024);
const webAes = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);

function nodeSeal(plaintext: Uint8Array): void {
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.update(plaintext);
  cipher.final();
  cipher.getAuthTag();
}

for (const [label, plaintext] of [["100 B", small], ["64 KiB", large]] as const) {
  Deno.bench({
    name: `AES-256-GCM seal ${label}, node:crypto`,
    group: `aes ${label}`,
    baseline: true,
    fn: () => nodeSeal(plaintext),
  });
  Deno.bench({
    name: `AES-256-GCM seal ${label}, WebCrypto`,
    group: `aes ${label}`,
    fn: async () => void await crypto.subtle.encrypt({ name: "AES-GCM", iv }, webAes, plaintext),
  });
}

const peer = EphemeralKey.generate();
Deno.bench({
  name: "ECDH P-256 key pair, raw public key, agreement: node:crypto",
  group: "ecdh",
  baseline: true,
  fn: () => void EphemeralKey.generate().agree(peer.publicRaw),
});
Deno.bench({
  name: "ECDH P-256 key pair, raw public key, agreement: WebCrypto",
  group: "ecdh",
  fn: async () => {
    const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, [
      "deriveBits",
    ]) as CryptoKeyPair;
    await crypto.subtle.exportKey("raw", pair.publicKey);
    const other = await crypto.subtle.importKey(
      "raw",
      peer.publicRaw as Uint8Array<ArrayBuffer>,
      { name: "ECDH", namedCurve: "P-256" },
      false,
      [],
    );
    await crypto.subtle.deriveBits({ name: "ECDH", public: other }, pair.privateKey, 256);
  },
});

const message = new Uint8Array(96);
const nodeEd = generateKeyPairSync("ed25519");
const nodeSignature = sign(null, message, nodeEd.privateKey);
const webEd = await crypto.subtle.generateKey("Ed25519", false, [
  "sign",
  "verify",
]) as CryptoKeyPair;
const webSignature = await crypto.subtle.sign("Ed25519", webEd.privateKey, message);
Deno.bench({
  name: "Ed25519 sign, node:crypto",
  group: "sign",
  baseline: true,
  fn: () => void sign(null, message, nodeEd.privateKey),
});
Deno.bench({
  name: "Ed25519 sign, WebCrypto",
  group: "sign",
  fn: async () => void await crypto.subtle.sign("Ed25519", webEd.privateKey, message),
});
Deno.bench({
  name: "Ed25519 verify, node:crypto",
  group: "verify",
  baseline: true,
  fn: () => void verify(null, message, nodeEd.publicKey, nodeSignature),
});
Deno.bench({
  name: "Ed25519 verify, WebCrypto",
  group: "verify",
  fn: async () =>
    void await crypto.subtle.verify("Ed25519", webEd.publicKey, webSignature, message),
});
