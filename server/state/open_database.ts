/**
 * Opens a single-process directory's database in its data directory:
 * `directory.sqlite`, created with mode 0600 (its -wal and -shm files take
 * that mode), with the files of before imported into it (legacy_files.ts).
 *
 * @module
 */
import { join } from "node:path";
import { ensurePrivateFile } from "../../storage/mod.ts";
import { errorMessage } from "../../errors/mod.ts";
import { StoreError } from "./errors.ts";
import { DATABASE_FILE, DirectoryDatabase } from "./sqlite_database.ts";
import { migrateLegacyFiles, type MigrationReport } from "./legacy_files.ts";

/**
 * The database of the directory whose data directory is `dataDir`, and what
 * was imported from legacy files. Throws StorageError `unwritable` when the
 * file cannot be created, StoreError `store-unreachable` when SQLite cannot
 * open it or a legacy file cannot be imported.
 */
export async function openDirectoryDatabase(
  dataDir: string,
): Promise<{ database: DirectoryDatabase; migration: MigrationReport }> {
  const path = join(dataDir, DATABASE_FILE);
  await ensurePrivateFile(path);
  let database: DirectoryDatabase;
  try {
    database = new DirectoryDatabase(path);
  } catch (error) {
    throw new StoreError(
      "store-unreachable",
      `Cannot open ${path}: ${errorMessage(error)}; restore it from a backup or move it away`,
      { cause: error },
    );
  }
  try {
    return { database, migration: migrateLegacyFiles(database, dataDir) };
  } catch (error) {
    database.db.close();
    throw new StoreError(
      "store-unreachable",
      `Cannot import the files of an older p2pchat in ${dataDir} into ${DATABASE_FILE}: ${
        errorMessage(error)
      }; nothing was lost: start again once the cause is fixed`,
      { cause: error },
    );
  }
}
