/**
 * Data directories from before `directory.sqlite` held bindings in
 * `names.sqlite` and mail and prekeys in `mail.sqlite`. On start, each such
 * file is imported into the one database, every binding, prekey and held
 * message kept (message ids too: clients acknowledge by id), in one
 * transaction that also records it as done; the file is then renamed
 * `<file>.migrated` and kept. Idempotent: a start interrupted at any point
 * resumes, and a file imported before is never imported twice.
 *
 * Steps per file: checkpoint its WAL and rename it `<file>.migrating`
 * (nothing is lost if we stop here); import it and record it, in one
 * transaction; rename it `<file>.migrated`.
 *
 * @module
 */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type Name, nameSkeleton } from "../../protocol/mod.ts";
import type { DirectoryDatabase } from "./sqlite_database.ts";

/** The single-process bindings file of before. */
export const LEGACY_NAMES_FILE = "names.sqlite";
/** The single-process mail and prekeys file of before. */
export const LEGACY_MAIL_FILE = "mail.sqlite";

/** What a start imported from legacy files. */
export type MigrationReport = {
  bindings: number;
  prekeys: number;
  mail: number;
  /** Legacy files imported, by name. */
  imported: string[];
  /** Legacy files present although imported before: not read again (their paths). */
  ignored: string[];
};

/** How to copy each legacy file's tables into the database attached as `main`. */
const IMPORTS: Record<string, { table: string; sql: string[] }[]> = {
  [LEGACY_NAMES_FILE]: [{
    table: "bindings",
    sql: [
      "INSERT INTO main.bindings (key, name, public_key, last_used) " +
      "SELECT key, name, public_key, last_used FROM legacy.bindings WHERE true " +
      "ON CONFLICT(key) DO NOTHING",
    ],
  }],
  [LEGACY_MAIL_FILE]: [{
    table: "prekeys",
    sql: [
      "INSERT INTO main.prekeys (owner, key, prekey) SELECT owner, key, prekey " +
      "FROM legacy.prekeys WHERE true ON CONFLICT(owner) DO NOTHING",
    ],
  }, {
    table: "mail",
    sql: [
      "INSERT OR IGNORE INTO main.mail (id, recipient, sender, sealed, stored) " +
      "SELECT id, recipient, sender, sealed, stored FROM legacy.mail",
      // An id already taken by another message (mail.sqlite put back after it was imported):
      // kept under a new id rather than lost.
      "INSERT INTO main.mail (recipient, sender, sealed, stored) " +
      "SELECT o.recipient, o.sender, o.sealed, o.stored FROM legacy.mail o " +
      "JOIN main.mail m ON m.id = o.id WHERE NOT (m.recipient = o.recipient AND " +
      "m.sender = o.sender AND m.sealed = o.sealed AND m.stored = o.stored)",
    ],
  }],
};

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function removeIfThere(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Folds a legacy file's WAL into it, so that the file alone holds everything, then sets it aside. */
function setAside(path: string): void {
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
  Deno.renameSync(path, `${path}.migrating`);
  removeIfThere(`${path}-wal`);
  removeIfThere(`${path}-shm`);
}

function hasTable(db: DatabaseSync, schema: string, table: string): boolean {
  return db.prepare(`SELECT 1 FROM ${schema}.sqlite_master WHERE type = 'table' AND name = ?`)
    .get(table) !== undefined;
}

function count(db: DatabaseSync, table: string): number {
  return Number((db.prepare(`SELECT COUNT(*) AS n FROM main.${table}`).get() as { n: number }).n);
}

/** Imports one set-aside legacy file and records it as done, in one transaction. */
function importFile(
  database: DirectoryDatabase,
  file: string,
  source: string,
  report: MigrationReport,
): void {
  const db = database.db;
  db.prepare("ATTACH DATABASE ? AS legacy").run(source);
  try {
    const before = { bindings: count(db, "bindings"), prekeys: count(db, "prekeys") };
    const mailBefore = count(db, "mail");
    database.transaction(() => {
      for (const { table, sql } of IMPORTS[file]) {
        if (!hasTable(db, "legacy", table)) continue;
        for (const statement of sql) db.exec(statement);
      }
      // Bindings of before may lack their skeleton (docs/protocol.md §9.3): compute it.
      const missing = db.prepare("SELECT key, name FROM main.bindings WHERE skeleton IS NULL")
        .all() as { key: string; name: string }[];
      const set = db.prepare("UPDATE main.bindings SET skeleton = ? WHERE key = ?");
      for (const row of missing) set.run(nameSkeleton(row.name as Name), row.key);
      db.prepare("INSERT INTO main.migrations (name, done) VALUES (?, ?)").run(file, Date.now());
    });
    report.bindings += count(db, "bindings") - before.bindings;
    report.prekeys += count(db, "prekeys") - before.prekeys;
    report.mail += count(db, "mail") - mailBefore;
    report.imported.push(file);
  } finally {
    db.exec("DETACH DATABASE legacy");
  }
}

/** Imports the legacy files of `dataDir` into `database` (see the module doc); idempotent. */
export function migrateLegacyFiles(
  database: DirectoryDatabase,
  dataDir: string,
): MigrationReport {
  const report: MigrationReport = { bindings: 0, prekeys: 0, mail: 0, imported: [], ignored: [] };
  const done = (file: string): boolean =>
    database.db.prepare("SELECT 1 FROM migrations WHERE name = ?").get(file) !== undefined;
  for (const file of [LEGACY_NAMES_FILE, LEGACY_MAIL_FILE]) {
    const path = join(dataDir, file);
    const migrating = `${path}.migrating`;
    if (exists(path)) {
      if (done(file)) {
        report.ignored.push(path);
        continue;
      }
      if (!exists(migrating)) setAside(path);
    }
    if (!exists(migrating)) continue;
    if (!done(file)) importFile(database, file, migrating, report);
    Deno.renameSync(migrating, `${path}.migrated`);
  }
  return report;
}
