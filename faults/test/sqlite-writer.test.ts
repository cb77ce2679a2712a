/**
 * Another program holds SQLite's write lock (BEGIN IMMEDIATE) for seconds,
 * several times, while a worker process runs instances and this process
 * starts more and raises events. Reprise waits and retries: no SQLITE_BUSY
 * (nor any other error) reaches a caller, and all the work completes.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepsOutput } from './fixtures/workloads.js';
import type { StepsInput } from './fixtures/workloads.js';
import { figure } from './support/figure.js';
import { clientRuntime, useStores } from './support/lifecycle.js';
import { startChild, startWorker, stopWorker } from './support/processes.js';
import { settle, sleep } from './support/wait.js';

const HOLDS = 2;
const HOLD_MS = 2500;
/** Far below HOLD_MS: every write waiting on the holder times out in SQLite and is retried by Reprise. */
const BUSY_TIMEOUT_MS = 300;
const HUB = 'writer';

describe('an external SQLite writer holding the write lock', () => {
  const openStore = useStores();

  it('0 SQLITE_BUSY surfaced to callers; all work completes', { timeout: 90_000 }, async () => {
    const store = await openStore('sqlite');
    const ledger = join(store.dir, 'ledger.jsonl');
    const storage = store.storage({ busyTimeoutMs: BUSY_TIMEOUT_MS });
    await storage.open();
    const worker = await startWorker('w', { ...store.env, FAULT_HUB: HUB, FAULT_LEDGER: ledger, FAULT_BUSY_TIMEOUT_MS: String(BUSY_TIMEOUT_MS) });
    const holder = await startChild('lock-holder.ts', 'holder', store.env);
    const runtime = clientRuntime(store, HUB, { storage });

    const errors: string[] = [];
    let calls = 0;
    const call = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
      calls++;
      try {
        return await fn();
      } catch (error) {
        const e = error as { name?: string; code?: string; cause?: { code?: string } };
        errors.push(`${e.name}:${e.code ?? ''}:${e.cause?.code ?? ''}`);
        return undefined;
      }
    };
    const steps = (i: number) => ({ instanceId: `steps-${i}`, input: { seed: i, steps: 3, ms: 100 } satisfies StepsInput });
    const ids: string[] = [];
    let next = 0;
    const startSome = async (n: number) => {
      const batch = Array.from({ length: n }, () => steps(next++));
      ids.push(...batch.map((b) => b.instanceId));
      await Promise.all(batch.map((b) => call(() => runtime.client.startNew('Steps', b))));
    };

    await call(() => runtime.client.startNew('Collector', { instanceId: 'collector' }));
    await startSome(5);
    for (let hold = 0; hold < HOLDS; hold++) {
      const released = holder.next('released', HOLD_MS + 30_000);
      const holding = holder.next('holding');
      holder.send({ hold: HOLD_MS });
      await holding;
      // While the lock is held: starts, events and reads from this process; the worker's commits wait too.
      await Promise.all([
        startSome(5),
        ...Array.from({ length: 5 }, (_, n) => call(() => runtime.client.raiseEvent('collector', 'e', `${hold}:${n}`))),
        call(() => runtime.client.getStatus('collector')),
      ]);
      await released;
      await sleep(300);
    }
    await call(() => runtime.client.raiseEvent('collector', 'e', { end: true }));

    const unfinished = await settle(runtime.client, [...ids, 'collector'], 30_000);
    let completed = 0;
    for (const [i, id] of ids.entries()) {
      const status = await runtime.client.getStatus(id);
      if (status?.runtimeStatus === 'Completed' && status.output === stepsOutput(steps(i).input)) completed++;
    }
    const collector = await runtime.client.getStatus('collector');
    const events = Array.isArray(collector?.output) ? collector.output.length : -1;
    const workerStats = await stopWorker(worker);
    const workerErrors = Object.values(workerStats.errors).reduce((a, b) => a + b, 0);
    const busy = [...errors, ...Object.keys(workerStats.errors)].filter((e) => e.includes('SQLITE_BUSY') || e.includes('SQLITE_LOCKED')).length;

    figure('sqlite-external-writer', {
      holds: HOLDS,
      holdMs: HOLD_MS,
      busyTimeoutMs: BUSY_TIMEOUT_MS,
      clientCalls: calls,
      clientErrors: errors.length,
      workerErrors,
      busySurfaced: busy,
      instances: ids.length,
      completed,
      events,
      unfinished: unfinished.length,
    });
    expect(busy).toBe(0);
    expect(errors).toEqual([]);
    expect(workerStats.errors).toEqual({});
    expect(completed).toBe(ids.length);
    expect(events).toBe(HOLDS * 5);
    expect(unfinished).toEqual([]);
  });
});
