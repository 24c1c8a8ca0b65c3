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

/** The columns each legacy table's rows are copied with, by file. */
const IMPORTS: Record<string, { table: string; columns: string[] }[]> = {
  [LEGACY_NAMES_FILE]: [{ table: "bindings", columns: ["key", "name", "public_key", "last_used"] }],
  [LEGACY_MAIL_FILE]: [
    { table: "prekeys", columns: ["owner", "key", "prekey"] },
    { table: "mail", columns: ["id", "recipient", "sender", "sealed", "stored"] },
  ],
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

function hasTable(db: DatabaseSync, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
    .get(table) !== undefined;
}

function count(db: DatabaseSync, table: string): number {
  return Number((db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);
}

type Row = Record<string, string | number | bigint | Uint8Array | null>;

/**
 * Copies one legacy table's rows into the database. The legacy file is
 * opened on its own connection and read row by row, not ATTACHed: Deno's
 * node:sqlite forbids ATTACH unless it runs with every permission, and
 * `deno task serve` grants only what serve needs.
 */
function copyRows(db: DatabaseSync, legacy: DatabaseSync, table: string, columns: string[]): void {
  const list = columns.join(", ");
  const marks = columns.map(() => "?").join(", ");
  const rows = legacy.prepare(`SELECT ${list} FROM ${table}`).all() as Row[];
  if (table === "mail") {
    // Ids are kept (clients acknowledge by id); an id already taken by another message
    // (mail.sqlite put back after it was imported) gets a new one rather than being lost.
    const keep = db.prepare(`INSERT OR IGNORE INTO mail (${list}) VALUES (${marks})`);
    const same = db.prepare(
      "SELECT 1 FROM mail WHERE id = ? AND recipient = ? AND sender = ? AND sealed = ? AND stored = ?",
    );
    const renumber = db.prepare(
      "INSERT INTO mail (recipient, sender, sealed, stored) VALUES (?, ?, ?, ?)",
    );
    for (const row of rows) {
      const values = columns.map((c) => row[c]);
      if (keep.run(...values).changes > 0 || same.get(...values) !== undefined) continue;
      renumber.run(row.recipient, row.sender, row.sealed, row.stored);
    }
    return;
  }
  const conflict = table === "bindings"
    ? "ON CONFLICT(key) DO NOTHING"
    : "ON CONFLICT(owner) DO NOTHING";
  const insert = db.prepare(`INSERT INTO ${table} (${list}) VALUES (${marks}) ${conflict}`);
  for (const row of rows) insert.run(...columns.map((c) => row[c]));
}

/** Imports one set-aside legacy file and records it as done, in one transaction. */
function importFile(
  database: DirectoryDatabase,
  file: string,
  source: string,
  report: MigrationReport,
): void {
  const db = database.db;
  const legacy = new DatabaseSync(source, { readOnly: true });
  try {
    const before = { bindings: count(db, "bindings"), prekeys: count(db, "prekeys") };
    const mailBefore = count(db, "mail");
    database.transaction(() => {
      for (const { table, columns } of IMPORTS[file]) {
        if (hasTable(legacy, table)) copyRows(db, legacy, table, columns);
      }
      // Bindings of before may lack their skeleton (docs/protocol.md §9.3): compute it.
      const missing = db.prepare("SELECT key, name FROM bindings WHERE skeleton IS NULL")
        .all() as { key: string; name: string }[];
      const set = db.prepare("UPDATE bindings SET skeleton = ? WHERE key = ?");
      for (const row of missing) set.run(nameSkeleton(row.name as Name), row.key);
      db.prepare("INSERT INTO migrations (name, done) VALUES (?, ?)").run(file, Date.now());
    });
    report.bindings += count(db, "bindings") - before.bindings;
    report.prekeys += count(db, "prekeys") - before.prekeys;
    report.mail += count(db, "mail") - mailBefore;
    report.imported.push(file);
  } finally {
    legacy.close();
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
