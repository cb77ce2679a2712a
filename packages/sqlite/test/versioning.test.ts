/**
 * Versioning on a SQLite file: the pre-deploy check over 1,000 in-flight
 * instances (programmatic and the `reprise check-compat` CLI, the file
 * byte-identical afterwards). The rolling deploy of two versions is a
 * conformance clause (runtime-rolling-deploy.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryEvent, Storage } from '@reprise/core';
import { checkCompatibility } from '@reprise/testing';
import { sqliteStorage } from '../src/index.js';
import { Order } from './fixtures/order-workflows.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-sqlite-versions-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const at = new Date(Date.UTC(2024, 0, 1)).toISOString();

/** 1,000 Running orders, history written directly: every 7th already called 'Ship' where the code calls 'Charge'. */
async function seed(storage: Storage, hub: string): Promise<string[]> {
  const diverging: string[] = [];
  for (let i = 0; i < 1000; i += 1) {
    const instanceId = `order-${String(i).padStart(4, '0')}`;
    const started: HistoryEvent = { EventType: 'ExecutionStarted', Timestamp: at, Name: 'Order', ExecutionId: 'e' };
    const now = Date.now();
    await storage.createInstance(hub, { instanceId, kind: 'orchestration', name: 'Order', executionId: 'e', status: 'Pending', createdAt: now, updatedAt: now, historyLength: 0, version: '1.0.0' }, { instanceId, event: started });
    const { items } = await storage.lockInstances(hub, { max: 1, leaseMs: 60_000 });
    const locked = items[0]!;
    const second = i % 7 === 0 ? 'Ship' : 'Charge';
    if (second === 'Ship') diverging.push(instanceId);
    const history: HistoryEvent[] = [
      started,
      { EventType: 'TaskScheduled', Timestamp: at, EventId: 0, Name: 'Reserve' },
      { EventType: 'TaskCompleted', Timestamp: at, TaskScheduledId: 0 },
      { EventType: 'TaskScheduled', Timestamp: at, EventId: 1, Name: second },
    ];
    await storage.commitOrchestration(hub, {
      instanceId: locked.instance.instanceId,
      lockToken: locked.lockToken,
      instance: { ...locked.instance, status: 'Running', historyLength: history.length },
      history: { append: history },
      consumedMessageIds: locked.messages.map((m) => m.id),
      messages: [],
      activities: [],
      logs: [],
    });
  }
  return diverging;
}

describe('pre-deploy check on SQLite', () => {
  it('finds exactly the diverging ones among 1,000 in-flight instances; the CLI prints them, exits 1 and leaves the file byte-identical', async () => {
    const path = join(dir, 'app.db');
    const storage = sqliteStorage({ path });
    await storage.open();
    const diverging = await seed(storage, 'default');
    // A finished one is not checked.
    const report = await checkCompatibility({ storage, orchestrators: { Order } });
    expect(report.checked).toBe(1000);
    expect(report.compatible).toBe(1000 - diverging.length);
    expect(report.diverged.map((d) => d.instanceId).sort()).toEqual(diverging);
    expect(report.diverged[0]).toMatchObject({ orchestrator: 'Order', at: 1, expected: "callActivity('Ship') #1", got: "callActivity('Charge') #1" });
    const sample = await checkCompatibility({ storage, orchestrators: { Order }, sample: 10 });
    expect(sample.checked).toBe(10);
    await storage.close();

    const before = readFileSync(path);
    const cli = fileURLToPath(new URL('../../testing/src/cli.ts', import.meta.url));
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--conditions=@reprise/source', '--import', 'tsx', cli, ...args], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' });
    const result = run('check-compat', '--sqlite', path, '--module', fileURLToPath(new URL('./fixtures/order-workflows.ts', import.meta.url)));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`checked 1000 in-flight instance(s): ${1000 - diverging.length} compatible, ${diverging.length} diverged`);
    expect(result.stdout).toContain("instance 'order-0000' (Order) diverges at #1:");
    expect(Buffer.compare(readFileSync(path), before)).toBe(0);
    // Another hub has nothing in flight: exit 0. Bad usage: exit 2.
    expect(run('check-compat', '--sqlite', path, '--module', fileURLToPath(new URL('./fixtures/order-workflows.ts', import.meta.url)), '--hub', 'other').status).toBe(0);
    expect(run('check-compat', '--module', 'x.js').status).toBe(2);
  }, 120_000);
});
