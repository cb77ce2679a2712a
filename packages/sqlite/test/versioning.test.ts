/**
 * Versioning on a SQLite file: the pre-deploy check over 1,000 in-flight
 * instances (programmatic and the `reprise check-compat` CLI, the file
 * byte-identical afterwards), and a rolling deploy of two runtimes of
 * different versions on one file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import type { HistoryEvent, OrchestrationContext, Runtime, Storage } from '@reprise/core';
import { checkCompatibility } from '@reprise/testing';
import { eventually } from '@reprise/testing/conformance';
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

describe('rolling deploy on one SQLite file', () => {
  const started: Runtime[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((r) => r.close()));
  });

  function* flow(ctx: OrchestrationContext) {
    const a = (yield ctx.callActivity('Who')) as string;
    yield ctx.waitForExternalEvent('go');
    const b = (yield ctx.callActivity('Who')) as string;
    return [a, b];
  }

  async function runtimeAt(path: string, version: string, match: 'strict' | 'currentOrOlder', ran: string[]): Promise<Runtime> {
    const runtime = createRuntime({
      storage: sqliteStorage({ path }),
      version,
      versioning: { match, onMismatch: 'leave' },
      orchestrators: {
        Flow: function* (ctx: OrchestrationContext) {
          if (!ctx.isReplaying) ran.push(`${version}:${ctx.instanceId}`);
          return yield* flow(ctx) as Generator<unknown, string[], unknown>;
        },
      },
      activities: { Who: () => version },
      logger: () => {},
    });
    started.push(runtime);
    await runtime.start();
    return runtime;
  }

  it.each(['strict', 'currentOrOlder'] as const)("'%s': no episode or activity is run by the wrong runtime", async (match) => {
    const path = join(dir, `${match}.db`);
    const ran1: string[] = [];
    const ran2: string[] = [];
    const v1 = await runtimeAt(path, '1.0.0', 'strict', ran1);
    const v2 = await runtimeAt(path, '2.0.0', match, ran2);
    const old = await Promise.all([0, 1, 2, 3].map((i) => v1.client.startNew('Flow', { instanceId: `old-${i}` })));
    const fresh = await Promise.all([0, 1, 2, 3].map((i) => v2.client.startNew('Flow', { instanceId: `new-${i}` })));
    for (const id of [...old, ...fresh]) await eventually(async () => (await v1.client.getStatus(id))?.runtimeStatus === 'Running');
    for (const id of [...old, ...fresh]) await v1.client.raiseEvent(id, 'go');
    for (const id of fresh) expect((await v2.client.waitForCompletion(id, { timeoutMs: 20_000 })).output).toEqual(['2.0.0', '2.0.0']);
    for (const id of old) {
      const output = (await v1.client.waitForCompletion(id, { timeoutMs: 20_000 })).output as string[];
      // strict: only v1 runs them; currentOrOlder: v2 may take over either step.
      if (match === 'strict') expect(output).toEqual(['1.0.0', '1.0.0']);
      else expect(output.every((v) => v === '1.0.0' || v === '2.0.0')).toBe(true);
    }
    expect(ran1.filter((r) => r.includes(':new-'))).toEqual([]);
    if (match === 'strict') expect(ran2.filter((r) => r.includes(':old-'))).toEqual([]);
  }, 60_000);
});
