/**
 * Files on disk, shared by the server and the client: where the data
 * directory is, private files written atomically with mode 0600 (and
 * refused when others can read them), and the identity file.
 *
 * @example
 * ```ts
 * import { readPrivateFile, writePrivateFile } from "./mod.ts";
 *
 * await writePrivateFile("/tmp/p2pchat-example", new TextEncoder().encode("secret"));
 * console.log(new TextDecoder().decode((await readPrivateFile("/tmp/p2pchat-example"))!)); // "secret"
 * ```
 *
 * @module
 */
export { type HomeEnv, homeEnvFromProcess, resolveDataDir } from "./data_dir.ts";
export { IDENTITY_FILE, loadIdentity, loadOrCreateIdentity } from "./identity_file.ts";
export {
  ensurePrivateDir,
  ensurePrivateFile,
  FILE_MODE,
  readPrivateFile,
  writableByOthers,
  writeFailure,
  writePrivateFile,
} from "./secure_file.ts";
export { StorageError } from "./errors.ts";
