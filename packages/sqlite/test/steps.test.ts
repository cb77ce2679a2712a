/**
 * The step view on a SQLite file: a DAG workflow's steps with progress and
 * activity logs, read by a second storage on the same file (another
 * process's view), and a file written before the steps migration keeps its
 * work items and logs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, defineActivity, defineWorkflow } from '@reprise/core';
import { sqliteStorage } from '../src/index.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/schema.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-sqlite-steps-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('steps on SQLite', () => {
  it('shows a DAG run step by step, with live progress, from another storage on the same file', async () => {
    const path = join(dir, 'steps.db');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reported!: () => void;
    const progressed = new Promise<void>((resolve) => (reported = resolve));
    const extract = defineActivity('Extract', async () => [1, 2, 3]);
    const transform = defineActivity('Transform', async (arg: { results: { EXTRACT: number[] } }, actx) => {
      actx.log.info('transforming', arg.results.EXTRACT.length, 'rows');
      await actx.reportProgress(50, 'half way');
      reported();
      await held;
      return arg.results.EXTRACT.map((n) => n * 10);
    });
    const load = defineActivity('Load', async (arg: { results: { TRANSFORM: number[] } }) => arg.results.TRANSFORM.length);
    const etl = defineWorkflow('sqlite.ETL', {
      tasks: { EXTRACT: { activity: extract }, TRANSFORM: { activity: transform, after: ['EXTRACT'] }, LOAD: { activity: load, after: ['TRANSFORM'] } },
    });
    const runtime = createRuntime({ storage: sqliteStorage({ path }), orchestrators: [etl], activities: [extract, transform, load], logger: () => {} });
    const viewer = createRuntime({ storage: sqliteStorage({ path }), orchestrators: [etl] });
    await runtime.start();
    try {
      const id = await runtime.client.startNew(etl);
      await progressed;
      const during = (await viewer.client.getSteps(id))!;
      expect(during.map((s) => [s.name, s.status, s.previous, s.progress?.percent])).toEqual([
        ['Extract', 'Succeeded', [], undefined],
        ['Transform', 'Executing', [0], 50],
      ]);
      expect(during[1]!.progress!.message).toBe('half way');
      expect(during[0]!.output).toEqual([1, 2, 3]);
      release();
      expect((await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toEqual({ EXTRACT: [1, 2, 3], TRANSFORM: [10, 20, 30], LOAD: 3 });
      const after = (await viewer.client.getSteps(id))!;
      expect(after.map((s) => [s.name, s.status, s.previous, s.progress?.percent])).toEqual([
        ['Extract', 'Succeeded', [], undefined],
        ['Transform', 'Succeeded', [0], 50],
        ['Load', 'Succeeded', [1], undefined],
      ]);
      expect((await viewer.client.getLogs(id)).map((l) => [l.message, l.sequence])).toEqual([['transforming 3 rows', 1]]);
    } finally {
      await runtime.close();
      await viewer.close();
    }
  });

  it('migrates a file from before the steps columns: queued work and logs survive and read back', async () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    const before = MIGRATIONS.length - 1; // the version before the steps columns
    for (const migration of MIGRATIONS.slice(0, before)) migration(old);
    old.prepare("INSERT INTO schema_version (version) VALUES (?)").run(before);
    old.prepare("INSERT INTO activities (hub, instance_id, execution_id, task_scheduled_id, name) VALUES ('default', 'i1', 'e1', 0, 'Act')").run();
    old.prepare("INSERT INTO logs (hub, instance_id, time, level, message) VALUES ('default', 'i1', 1, 'info', 'old line')").run();
    old.close();
    const storage = sqliteStorage({ path });
    await storage.open();
    try {
      expect(await storage.getActivityStates('default', 'i1')).toEqual([{ workItemId: '1', executionId: 'e1', taskScheduledId: 0, name: 'Act', running: false }]);
      expect(await storage.getLogs('default', 'i1')).toEqual([{ time: 1, level: 'info', message: 'old line' }]);
    } finally {
      await storage.close();
    }
    const db = new Database(path);
    expect(db.prepare('SELECT version FROM schema_version').pluck().get()).toBe(SCHEMA_VERSION);
    db.close();
  });
});
