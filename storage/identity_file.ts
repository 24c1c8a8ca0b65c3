/**
 * The identity file: the user's (or server's) Ed25519 private key as a JWK,
 * in the data directory with mode 0600, created on first use and refused
 * when others can read it.
 *
 * @module
 */
import { Identity } from "../crypto/mod.ts";
import { StorageError } from "./errors.ts";
import { dirname } from "node:path";
import { ensurePrivateDir, readPrivateFile, writePrivateFile } from "./secure_file.ts";

/** File name of the identity inside a data directory. */
export const IDENTITY_FILE = "identity.key";

/** Loads the identity at `path`, creating it (mode 0600) on first use. */
export async function loadOrCreateIdentity(
  path: string,
): Promise<{ identity: Identity; created: boolean }> {
  await ensurePrivateDir(dirname(path));
  const existing = await readPrivateFile(path);
  if (existing !== null) return { identity: parseIdentity(path, existing), created: false };
  const identity = Identity.generate();
  await writePrivateFile(path, JSON.stringify(identity.exportJwk()) + "\n");
  return { identity, created: true };
}

/** Loads the identity at `path`; StorageError when it is missing, unsafe or malformed. */
export async function loadIdentity(path: string): Promise<Identity> {
  const bytes = await readPrivateFile(path);
  if (bytes === null) {
    throw new StorageError(
      "unreadable",
      path,
      `Cannot load identity ${path}: the file does not exist; copy the shared identity there first`,
    );
  }
  return parseIdentity(path, bytes);
}

function parseIdentity(path: string, bytes: Uint8Array): Identity {
  try {
    return Identity.fromJwk(JSON.parse(new TextDecoder().decode(bytes)));
  } catch (cause) {
    throw new StorageError(
      "malformed",
      path,
      `Cannot load identity ${path}: the file is not a p2pchat identity key; restore it from a backup or move it away to create a new identity`,
      { cause },
    );
  }
}
