// Real processes on one file: a poison orchestrator and a poison activity that SIGKILL
// their worker on every attempt, beside ten healthy instances; the worker is restarted
// after each kill. Only the poison work is charged for the crashes: it fails with
// MaxDeliveriesExceededError, and every healthy instance completes.
// Guards issue 12, defect 3 (deliveries were charged to every item leased in the batch).
import { mkdtempSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, isTerminal } from '@reprise/core';
import { sleep } from '@reprise/testing/conformance';
import { sqliteStorage } from '../src/index.js';
import { HEALTHY_STEPS, orchestrators } from './fixtures/poison-workload.js';
import { exitOf, forkFixture } from './helpers.js';

const HUB = 'poison';
const LEASE_MS = 1000;
const HEALTHY = 10;

let dir: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-sqlite-poison-'));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(children.map(exitOf));
  rmSync(dir, { recursive: true, force: true });
});


describe('poison work beside healthy work (real processes)', () => {
  it('only the poison is charged for the crashes it causes: all healthy instances complete', async () => {
    const path = join(dir, 'poison.db');
    const storage = sqliteStorage({ path });
    await storage.open();
    // The client side only: it registers the names (startNew checks them) and never works.
    const client = createRuntime({ storage, taskHub: HUB, logger: () => {}, orchestrators }).client;
    const healthy = await Promise.all(Array.from({ length: HEALTHY }, (_, i) => client.startNew('Healthy', { instanceId: `healthy-${i}`, input: i * 100 })));
    const poisonOrchestrator = await client.startNew('PoisonOrchestrator', { instanceId: 'poison-orchestrator' });
    const poisonActivity = await client.startNew('CallsPoisonActivity', { instanceId: 'poison-activity' });
    const ids = [...healthy, poisonOrchestrator, poisonActivity];
    const allDone = async () => (await Promise.all(ids.map((id) => client.getStatus(id)))).every((s) => s !== undefined && isTerminal(s.runtimeStatus));

    const spawn = () => {
      const child = forkFixture('poison-worker.ts', [path, HUB, String(LEASE_MS)]);
      children.push(child);
      return child;
    };
    let worker = spawn();
    let kills = 0;
    const deadline = Date.now() + 100_000;
    while (!(await allDone())) {
      if (Date.now() > deadline) throw new Error(`not done after ${kills} kills`);
      if (worker.exitCode !== null || worker.signalCode !== null) {
        expect(worker.signalCode).toBe('SIGKILL');
        kills++;
        worker = spawn(); // an operator (or supervisor) restarts the worker
      }
      await sleep(50);
    }
    worker.send('stop');
    expect(await exitOf(worker)).toBe(0);

    for (const [i, id] of healthy.entries()) {
      const status = await client.getStatus(id);
      expect(status?.runtimeStatus, id).toBe('Completed');
      expect(status?.output).toBe(i * 100 + HEALTHY_STEPS);
    }
    const poisoned = await client.getStatus(poisonOrchestrator);
    expect(poisoned?.runtimeStatus).toBe('Failed');
    expect(poisoned?.output).toMatchObject({ name: 'MaxDeliveriesExceededError' });
    // The poison activity's error is catchable by its orchestrator.
    expect((await client.getStatus(poisonActivity))?.output).toBe('MaxDeliveriesExceededError');
    // Each poison kills at most maxDeliveries (5) times; it may be charged for the other's crash while it waits to run alone.
    expect(kills).toBeGreaterThanOrEqual(5);
    expect(kills).toBeLessThanOrEqual(10);
    console.log(`FIGURE sqlite poison: kills=${kills} healthyCompleted=${HEALTHY}/${HEALTHY}`);
    await storage.close();
  }, 120_000);
});
