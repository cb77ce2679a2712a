// Real processes on one file: three workers, one SIGKILLed mid-run. Every
// orchestration still completes exactly once, with the history an
// uninterrupted run has; only the killed worker's activities run twice.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { eventually } from '@reprise/testing/conformance';
import { sqliteStorage } from '../src/index.js';
import { STEPS, expectedOutput, fiveSteps, makeStep } from './fixtures/five-steps.js';
import { exitOf, forkFixture } from './helpers.js';

const WORKERS = 3;
const INSTANCES = 30;
const LEASE_MS = 1000;
const HUB = 'crash';

let dir: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reprise-sqlite-crash-'));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(children.map(exitOf));
  rmSync(dir, { recursive: true, force: true });
});

/** The EventType sequence of one instance run without interruption (in memory). */
async function uninterruptedShape(): Promise<string[]> {
  const runtime = createRuntime({
    storage: memoryStorage(),
    logger: () => {},
    orchestrators: { FiveSteps: fiveSteps },
    activities: { Step: makeStep(() => {}, 0) },
  });
  await runtime.start();
  try {
    await runtime.client.startNew('FiveSteps', { input: { id: 'ref', seed: 0 }, instanceId: 'ref' });
    await runtime.client.waitForCompletion('ref', { timeoutMs: 10_000 });
    const status = await runtime.client.getStatus('ref', { showHistory: true });
    return status!.history!.map((e) => e.EventType);
  } finally {
    await runtime.stop();
  }
}

function readExecutions(path: string): Array<{ worker: string; key: string }> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [worker, id, step] = line.split(' ');
      return { worker: worker!, key: `${id} ${step}` };
    });
}

describe('worker crash (real processes)', () => {
  it('a SIGKILLed worker loses nothing and duplicates nothing but its own in-flight activities', async () => {
    const shape = await uninterruptedShape();
    const path = join(dir, 'crash.db');
    const executionsLog = join(dir, 'executions.log');

    const client = sqliteStorage({ path });
    await client.open(); // create the schema before the workers race for it
    for (let i = 0; i < WORKERS; i++) {
      const child = forkFixture('crash-worker.ts', [path, executionsLog, `w${i}`, String(LEASE_MS), HUB]);
      children.push(child);
    }
    await Promise.all(children.map((child) => new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    })));

    // The client side: registers the orchestrator (startNew checks the name) but never starts working.
    const runtime = createRuntime({ storage: client, taskHub: HUB, leaseMs: LEASE_MS, logger: () => {}, orchestrators: { FiveSteps: fiveSteps } });
    const inputs = Array.from({ length: INSTANCES }, (_, i) => ({ id: `order-${i}`, seed: i }));
    await Promise.all(inputs.map((input) => runtime.client.startNew('FiveSteps', { input, instanceId: input.id })));

    // Once the run is well under way, kill the worker that started an activity last (it is busy).
    await eventually(() => readExecutions(executionsLog).length >= INSTANCES, { timeoutMs: 20_000, what: 'the run to get under way' });
    const victim = readExecutions(executionsLog).at(-1)!.worker;
    const victimProcess = children[Number(victim.slice(1))]!;
    victimProcess.kill('SIGKILL');
    await exitOf(victimProcess);
    const survivors = children.filter((c) => c !== victimProcess);
    const victimRuns = new Set(readExecutions(executionsLog).filter((r) => r.worker === victim).map((r) => r.key));
    expect(readExecutions(executionsLog).length).toBeLessThan(INSTANCES * STEPS); // the kill landed mid-run

    const statuses = await Promise.all(inputs.map((input) => runtime.client.waitForCompletion(input.id, { timeoutMs: 30_000 })));
    for (const [i, status] of statuses.entries()) {
      expect(status.runtimeStatus).toBe('Completed');
      expect(status.output).toBe(expectedOutput(inputs[i]!));
      const full = await runtime.client.getStatus(inputs[i]!.id, { showHistory: true });
      expect(full!.history!.map((e) => e.EventType)).toEqual(shape);
    }

    // Every step ran; a step ran twice only if the killed worker had run it (it held that work item when it died).
    const counts = new Map<string, number>();
    for (const run of readExecutions(executionsLog)) counts.set(run.key, (counts.get(run.key) ?? 0) + 1);
    for (const input of inputs) {
      for (let step = 0; step < STEPS; step++) {
        const key = `${input.id} ${step}`;
        const count = counts.get(key) ?? 0;
        expect(count, `executions of ${key}`).toBeGreaterThanOrEqual(1);
        if (count > 1) {
          expect(count, `executions of ${key}`).toBe(2);
          expect(victimRuns.has(key), `${key} ran twice but the killed worker never ran it`).toBe(true);
        }
      }
    }
    expect(readExecutions(executionsLog).length - INSTANCES * STEPS).toBeLessThanOrEqual(victimRuns.size);

    // The survivors stop cleanly and give their leases back.
    for (const child of survivors) child.send('stop');
    expect(await Promise.all(survivors.map(exitOf))).toEqual([0, 0]);
    await client.close();
  }, 90_000);
});
