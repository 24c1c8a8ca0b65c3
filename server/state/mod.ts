/**
 * The directory's state (docs/protocol.md §9.3, §9.4): which key owns which
 * name, and who is online, behind one asynchronous interface, in this
 * process (with SQLite) or shared by several instances over Redis.
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
export {
  DEFAULT_PREFIX,
  importBinding,
  INSTANCE_TTL_MS,
  openRedis,
  redactUrl,
  RedisDirectory,
} from "./redis_directory.ts";
export {
  MemoryNameStore,
  type NameStore,
  readSqliteBindings,
  SqliteNameStore,
} from "./name_store.ts";
export { DEFAULT_NAME_TTL_MS } from "./registry.ts";
export { type DirectoryState, LocalDirectory } from "./directory_state.ts";
export { StoreError } from "./errors.ts";
