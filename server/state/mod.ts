/**
 * The directory's state (docs/protocol.md §9.3, §9.4): which key owns which
 * name (with the prekey kept with it), and who is online, behind one
 * asynchronous interface, in this process (with the one SQLite database,
 * directory.sqlite) or shared by several instances over Redis. Every
 * decision about a binding is binding_rules.ts's, whichever store holds it.
 *
 * @example
 * ```ts
 * import { LocalDirectory, MemoryNameStore } from "./mod.ts";
 *
 * const state = new LocalDirectory<object>(new MemoryNameStore(), { clock: Date.now });
 * console.log(await state.lookup("alice" as never)); // undefined: nobody online
 * ```
 *
 * @module
 */
export { RedisDirectory } from "./redis_directory.ts";
export type { LocalSession } from "./redis_local_sessions.ts";
export { DEFAULT_PREFIX, openRedis, redactUrl, storeUnavailable } from "./redis_connection.ts";
export { RedisBindings } from "./redis_bindings.ts";
export { INSTANCE_TTL_MS } from "./redis_heartbeat.ts";
export {
  type CopiedBinding,
  MemoryNameStore,
  type NameStore,
  readSqliteBindings,
  SqliteNameStore,
  type StoredPrekey,
} from "./name_store.ts";
export { DEFAULT_NAME_TTL_MS } from "./binding_rules.ts";
export { type BoundName, type DirectoryState, LocalDirectory } from "./directory_state.ts";
export { DATABASE_FILE, DirectoryDatabase } from "./sqlite_database.ts";
export { ListenError, type ServerErrorCode, StoreError } from "./errors.ts";
export { openDirectoryDatabase } from "./open_database.ts";
export { LEGACY_MAIL_FILE, LEGACY_NAMES_FILE, type MigrationReport } from "./legacy_files.ts";
// Key transparency (docs/protocol.md §15.5): the log, for the state's users and its benchmark.
export { KeyLog, type KeyLogOptions, PROOF_WAIT_MS, SEAL_BATCH, SEAL_DELAY_MS } from "./key_log.ts";
export { localBackend, type LocalLogStore, MemoryLogStore, SqliteLogStore } from "./log_store.ts";
