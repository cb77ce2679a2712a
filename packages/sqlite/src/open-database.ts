/**
 * Opening a file: every check that can refuse it runs before anything is
 * written, so a refused file is left byte-identical.
 *
 * 1. The directory must exist (nothing is created otherwise).
 * 2. The file must be a SQLite database (or absent / empty).
 * 3. Its schema version must not be newer than this code's, and a file
 *    without our version table must not hold tables of the same names.
 * Only then: WAL mode, `synchronous`, and the missing migrations.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StorageError, isRepriseError, matchesVersion } from '@reprise/core';
import type { VersionMatch } from '@reprise/core';
import { OWN_TABLES, SCHEMA_VERSION, migrate, readSchemaVersion } from './schema.js';
import type { ResolvedOptions } from './options.js';
import { isBusy, withBusyRetry } from './busy.js';

export const isMemoryPath = (path: string): boolean => path === ':memory:';

/** The key under which processes-local state (the notice emitter) is shared. */
export function resolvedPath(path: string): string {
  return isMemoryPath(path) ? path : resolve(path);
}

function checkDirectory(path: string): void {
  const dir = dirname(resolve(path));
  let isDirectory = false;
  try {
    isDirectory = existsSync(dir) && statSync(dir).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) {
    throw new StorageError(`sqliteStorage: cannot open '${path}': the directory '${dir}' does not exist (it is not created automatically)`);
  }
}

function checkFile(db: Database.Database, path: string): number | undefined {
  let version: number | undefined;
  try {
    version = readSchemaVersion(db);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new StorageError(`sqliteStorage: '${path}' is not a SQLite database (left untouched)`, { cause: error });
    }
    throw error;
  }
  if (version !== undefined && version > SCHEMA_VERSION) {
    throw new StorageError(
      `sqliteStorage: '${path}' has schema version ${version}, newer than this version of @reprise/sqlite understands (${SCHEMA_VERSION}); upgrade @reprise/sqlite. The file was not modified.`,
    );
  }
  if (version === undefined) {
    const clash = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${OWN_TABLES.map(() => '?').join(', ')})`)
      .all(...OWN_TABLES) as Array<{ name: string }>;
    if (clash.length > 0) {
      throw new StorageError(
        `sqliteStorage: '${path}' already has tables named ${clash.map((t) => `'${t.name}'`).join(', ')} but no schema_version table: it is not a Reprise database (left untouched)`,
      );
    }
  }
  return version;
}

/** Opens, checks and migrates the database; throws StorageError and leaves the file untouched when it is refused. */
/**
 * The lock calls' version filter as an SQL function over a row's kind, name
 * and version: core's own rule (`matchesVersion`), so SQLite and the other
 * stores agree on every version. The filter's JSON is parsed once per text.
 */
function registerVersionFunction(db: Database.Database): void {
  let text = '';
  let filter: VersionMatch | undefined;
  db.function('reprise_version_ok', { deterministic: true }, (json: unknown, kind: unknown, name: unknown, version: unknown) => {
    if (kind !== 'orchestration') return 1;
    if (json !== text) {
      text = String(json);
      filter = JSON.parse(text) as VersionMatch;
    }
    return matchesVersion(filter!, String(name), typeof version === 'string' ? version : undefined) ? 1 : 0;
  });
}

export async function openDatabase(options: ResolvedOptions): Promise<Database.Database> {
  const { path } = options;
  if (!isMemoryPath(path)) checkDirectory(path);
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: options.busyTimeoutMs });
  } catch (error) {
    throw new StorageError(`sqliteStorage: cannot open '${path}': ${(error as Error).message}`, { cause: error });
  }
  try {
    await withBusyRetry(options.busyTimeoutMs, () => checkFile(db, path));
    await withBusyRetry(options.busyTimeoutMs, () => {
      db.pragma('journal_mode = WAL');
    });
    db.pragma(`synchronous = ${options.synchronous}`);
    db.pragma(`wal_autocheckpoint = ${options.walAutocheckpointPages}`);
    db.pragma(`mmap_size = ${options.mmapSizeBytes}`);
    registerVersionFunction(db);
    await withBusyRetry(options.busyTimeoutMs, () =>
      db
        .transaction(() => {
          // Re-read under the write lock: another process may have migrated meanwhile.
          const version = checkFile(db, path);
          if (version !== SCHEMA_VERSION) migrate(db, version);
        })
        .immediate(),
    );
    // Fresh statistics for the query planner (cheap: bounded analysis of tables that need it).
    await withBusyRetry(options.busyTimeoutMs, () => db.pragma('optimize = 0x10002'));
    return db;
  } catch (error) {
    db.close();
    if (isRepriseError(error, 'STORAGE')) throw error;
    if (isBusy(error)) throw new StorageError(`sqliteStorage: '${path}' stayed locked by another connection`, { cause: error });
    throw new StorageError(`sqliteStorage: cannot open '${path}': ${(error as Error).message}`, { cause: error });
  }
}
