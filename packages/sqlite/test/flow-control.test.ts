// SQLite's own side of flow control: the v3 migration (old rows read as namespace ''), admission racing
// across processes, and counts served by an index rather than a scan.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteStorage } from '../src/index.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/schema.js';
import { exitOf, forkFixture, pending } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-sqlite-flow-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('flow control on SQLite', () => {
  it('migrates a version-2 file: existing instances read as the default namespace and are counted there', async () => {
    const path = join(dir, 'v2.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version (version) VALUES (2)');
    MIGRATIONS[0]!(old);
    MIGRATIONS[1]!(old);
    old
      .prepare(
        `INSERT INTO instances (hub, instance_id, kind, name, execution_id, status, created_at, updated_at, history_length)
         VALUES ('hub', 'before', 'orchestration', 'N', 'e', 'Completed', 1, 1, 0)`,
      )
      .run();
    old.close();

    const storage = sqliteStorage({ path });
    try {
      const record = await storage.getInstance('hub', 'before');
      expect(record?.status).toBe('Completed');
      expect(record).not.toHaveProperty('namespace');
      expect(await storage.countInstances('hub', { namespace: '' })).toBe(1);
      expect((await storage.queryInstances('hub', { namespace: '' })).instances.map((r) => r.instanceId)).toEqual(['before']);
      expect(await storage.purgeInstances('hub', { createdFrom: 0, namespace: '' })).toEqual({ instancesDeleted: 1 });
    } finally {
      await storage.close();
    }
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT version FROM schema_version').pluck().get()).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('two processes racing to admit into one group never exceed its limit', async () => {
    const path = join(dir, 'race.db');
    const setup = sqliteStorage({ path });
    await setup.open();
    await setup.close();
    const admittedBy = await Promise.all(
      ['a', 'b'].map(async (prefix) => {
        const child = forkFixture('admitter.ts', [path, prefix, '40', '7']);
        const reply = new Promise<number>((resolve) => child.once('message', (m: { admitted: number }) => resolve(m.admitted)));
        expect(await exitOf(child)).toBe(0);
        return reply;
      }),
    );
    expect(admittedBy[0]! + admittedBy[1]!).toBe(7);
    const storage = sqliteStorage({ path });
    try {
      expect(await storage.countInstances('hub', {})).toBe(7);
      // The group's count matches its members: one more is refused, nothing leaked.
      const { record, message } = pending('late');
      expect(await storage.createInstance('hub', record, message, { group: 'shared', limit: 7, onFull: 'reject' })).toEqual({ created: false, refused: 'limit' });
    } finally {
      await storage.close();
    }
  });

  it('counts read the kept counts, and namespace pages read one index range per status, not every instance', async () => {
    const path = join(dir, 'plan.db');
    const storage = sqliteStorage({ path });
    await storage.open();
    await storage.close();
    const db = new Database(path, { readonly: true });
    try {
      const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join('\n');
      const count = plan("SELECT coalesce(sum(n), 0) FROM instance_counts WHERE hub = 'h' AND kind = 'orchestration' AND namespace = 'n' AND status IN ('Running', 'Pending')");
      expect(count).toMatch(/SEARCH instance_counts USING PRIMARY KEY \(hub=\? AND kind=\? AND namespace=\?\)/);
      const page = plan(
        "SELECT created_at, instance_id FROM instances INDEXED BY instances_list_namespace_status WHERE hub = 'h' AND kind = 'orchestration' AND namespace = 'n' AND status = 'Pending' AND (created_at, instance_id) > (5, 'x') ORDER BY created_at, instance_id LIMIT 101",
      );
      expect(page).toMatch(/SEARCH instances USING COVERING INDEX instances_list_namespace_status \(hub=\? AND kind=\? AND namespace=\? AND status=\? AND \(created_at,instance_id\)>\(\?,\?\)\)/);
      expect(page).not.toMatch(/TEMP B-TREE/);
    } finally {
      db.close();
    }
  });
});
