// The v7 migration (issue 20) on a file written by the v6 schema: counts are filled from the rows already there,
// history keeps its events (now WITHOUT ROWID), the new list indexes serve pages, and the triggers keep counts after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteStorage } from '../src/index.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/schema.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-sqlite-v7-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeV6File(path: string): void {
  const old = new Database(path);
  old.pragma('journal_mode = WAL');
  old.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version (version) VALUES (6)');
  for (const migration of MIGRATIONS.slice(0, 6)) migration(old);
  const insert = old.prepare(
    `INSERT INTO instances (hub, instance_id, kind, name, execution_id, status, created_at, updated_at, history_length, namespace, version)
     VALUES ('hub', ?, 'orchestration', ?, 'e', ?, ?, ?, ?, ?, ?)`,
  );
  const history = old.prepare("INSERT INTO history (hub, instance_id, seq, event) VALUES ('hub', ?, ?, ?)");
  for (let i = 0; i < 30; i++) {
    const status = ['Pending', 'Running', 'Completed'][i % 3]!;
    insert.run(`i${String(i).padStart(2, '0')}`, i % 2 ? 'Odd' : 'Even', status, 1000 + i, 1000 + i, 2, i % 5 === 0 ? 'ns' : '', i < 10 ? 'v1' : null);
    history.run(`i${String(i).padStart(2, '0')}`, 0, JSON.stringify({ EventType: 'ExecutionStarted', EventId: -1 }));
    history.run(`i${String(i).padStart(2, '0')}`, 1, JSON.stringify({ EventType: 'OrchestratorStarted', EventId: -1 }));
  }
  old.close();
}

describe('schema v7 on a v6 file', () => {
  it('fills the counts from existing rows, keeps history, and pages through the new indexes', async () => {
    const path = join(dir, 'v6.db');
    writeV6File(path);
    const storage = sqliteStorage({ path });
    try {
      expect(await storage.countInstances('hub', {})).toBe(30);
      expect(await storage.countInstances('hub', { kind: 'orchestration', runtimeStatus: ['Pending', 'Completed'] })).toBe(20);
      expect(await storage.countInstances('hub', { namespace: 'ns', runtimeStatus: ['Pending'] })).toBe(2); // i00, i15
      expect(await storage.countInstances('hub', { name: 'Odd' })).toBe(15);
      expect(await storage.countInstances('hub', { version: 'v1' })).toBe(10);
      expect(await storage.countInstances('hub', { version: '' })).toBe(20);
      expect(await storage.countInstances('hub', { createdFrom: 1010, createdTo: 1019, runtimeStatus: ['Running'] })).toBe(4); // i10, i13, i16, i19
      expect((await storage.getHistory('hub', 'i07')).map((e) => e.EventType)).toEqual(['ExecutionStarted', 'OrchestratorStarted']);

      // Pages of several statuses merge their ranges in page order, across a continuation token.
      const first = await storage.queryInstances('hub', { kind: 'orchestration', runtimeStatus: ['Running', 'Completed'], pageSize: 7 });
      const rest = await storage.queryInstances('hub', { kind: 'orchestration', runtimeStatus: ['Running', 'Completed'], pageSize: 100, continuationToken: first.continuationToken! });
      const ids = [...first.instances, ...rest.instances].map((r) => r.instanceId);
      expect(ids).toEqual(Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => `i${String(i).padStart(2, '0')}`));
      expect(rest.continuationToken).toBeUndefined();

      // The triggers keep counting after the migration: a purge takes its rows out of the counts.
      expect(await storage.purgeInstances('hub', { createdFrom: 0, runtimeStatus: ['Completed'] })).toEqual({ instancesDeleted: 10 });
      expect(await storage.countInstances('hub', {})).toBe(20);
      expect(await storage.countInstances('hub', { runtimeStatus: ['Completed'] })).toBe(0);
    } finally {
      await storage.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare('SELECT version FROM schema_version').pluck().get()).toBe(SCHEMA_VERSION);
      expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'history'").pluck().get()).toMatch(/WITHOUT ROWID/);
    } finally {
      db.close();
    }
  });
});
