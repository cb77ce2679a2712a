// Opening files this adapter must refuse: each refusal is a clear StorageError and leaves the disk as it was.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '@reprise/core';
import { sqliteStorage } from '../src/index.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/schema.js';

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

  it('migrates a version-1 file in place: its leased work comes back as redelivered work', async () => {
    const path = join(dir, 'v1.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version (version) VALUES (1)');
    MIGRATIONS[0]!(old);
    // An instance a version-1 worker leased (delivery 1) and died with; a fresh one beside it.
    const event = (name: string) => JSON.stringify({ EventType: 'ExecutionStarted', Timestamp: new Date(1).toISOString(), Name: name, ExecutionId: 'e' });
    for (const [id, deliveries] of [['leased', 1], ['fresh', 0]] as const) {
      old.prepare(
        `INSERT INTO instances (hub, instance_id, kind, name, execution_id, status, created_at, updated_at, history_length, lock_token, lock_expires, deliveries, next_visible_at)
         VALUES ('hub', ?, 'orchestration', 'N', 'e', 'Pending', 1, 1, 0, ?, ?, ?, 1)`,
      ).run(id, deliveries ? 'dead-token' : null, deliveries ? 2 : 0, deliveries);
      old.prepare("INSERT INTO messages (hub, instance_id, visible_at, event) VALUES ('hub', ?, 1, ?)").run(id, event('N'));
    }
    old.close();

    const storage = sqliteStorage({ path });
    const first = await storage.lockInstances('hub', { max: 10, leaseMs: 60_000 });
    expect(first.items.map((l) => [l.instance.instanceId, l.deliveries])).toEqual([['leased', 2]]);
    const second = await storage.lockInstances('hub', { max: 10, leaseMs: 60_000 });
    expect(second.items.map((l) => [l.instance.instanceId, l.deliveries])).toEqual([['fresh', 1]]);
    await storage.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT version FROM schema_version').pluck().all()).toEqual([SCHEMA_VERSION]);
    db.close();
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
