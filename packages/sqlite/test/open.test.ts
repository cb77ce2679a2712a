// Opening files this adapter must refuse: each refusal is a clear StorageError and leaves the disk as it was.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '@reprise/core';
import { sqliteStorage } from '../src/index.js';
import { SCHEMA_VERSION } from '../src/schema.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-sqlite-open-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function refusal(path: string): Promise<StorageError> {
  const storage = sqliteStorage({ path });
  const error = await storage.open().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  expect((error as StorageError).code).toBe('STORAGE');
  await storage.close();
  return error as StorageError;
}

describe('opening', () => {
  it('creates a fresh file in WAL mode with the current schema version, and reopens it with its data', async () => {
    const path = join(dir, 'fresh.db');
    const first = sqliteStorage({ path });
    await first.open();
    await first.createInstance(
      'hub',
      { instanceId: 'a', kind: 'orchestration', name: 'N', executionId: 'e', status: 'Pending', createdAt: 1, updatedAt: 1, historyLength: 0 },
      { instanceId: 'a', event: { EventType: 'ExecutionStarted', Timestamp: new Date(1).toISOString(), Name: 'N', ExecutionId: 'e' } },
    );
    await first.close();

    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version FROM schema_version').pluck().all()).toEqual([SCHEMA_VERSION]);
    db.close();

    const second = sqliteStorage({ path, synchronous: 'FULL' });
    expect((await second.getInstance('hub', 'a'))?.status).toBe('Pending');
    await second.close();
  });

  it('refuses a path in a missing directory, naming the directory, and creates nothing', async () => {
    const missing = join(dir, 'no', 'such');
    const error = await refusal(join(missing, 'x.db'));
    expect(error.message).toContain(missing);
    expect(existsSync(join(dir, 'no'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a file that is not a SQLite database and leaves it byte-identical', async () => {
    const path = join(dir, 'notes.db');
    writeFileSync(path, 'These are my notes, not a database.\n'.repeat(200));
    const before = sha(path);
    const error = await refusal(path);
    expect(error.message).toMatch(/not a SQLite database/);
    expect(sha(path)).toBe(before);
    expect(readdirSync(dir)).toEqual(['notes.db']);
  });

  it('refuses a file written by a newer schema version and modifies nothing', async () => {
    const path = join(dir, 'newer.db');
    const storage = sqliteStorage({ path });
    await storage.open();
    await storage.close();
    const db = new Database(path);
    db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION + 1);
    db.close();
    const before = sha(path);

    const error = await refusal(path);
    expect(error.message).toContain(`schema version ${SCHEMA_VERSION + 1}`);
    expect(sha(path)).toBe(before);
    const check = new Database(path, { readonly: true });
    expect(check.prepare('SELECT version FROM schema_version').pluck().all()).toEqual([SCHEMA_VERSION + 1]);
    check.close();
  });

  it("refuses another application's database whose tables have our names, and modifies nothing", async () => {
    const path = join(dir, 'other.db');
    const db = new Database(path);
    db.exec('CREATE TABLE instances (id INTEGER PRIMARY KEY, what TEXT)');
    db.close();
    const before = sha(path);
    const error = await refusal(path);
    expect(error.message).toContain("'instances'");
    expect(sha(path)).toBe(before);
  });
});
