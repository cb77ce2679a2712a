/**
 * Leases that lapse while their holder is alive but not running the item.
 * Regression tests for two defects this suite found (beyond issue 12's list),
 * both fixed in the runtime and the stores:
 *
 * 1. Eager dispatch could lease a worker more activity items than it had
 *    slots, and items waiting in its local queue were not renewed, so they
 *    lapsed and the instance was stuck. Now leases are renewed from the
 *    moment an item arrives, and eager requests reserve slots.
 * 2. A lease made by eager dispatch raised no notice, so a worker that was
 *    already asleep never learnt when it would expire and never took over a
 *    hung holder's item. Now such leases are announced (`inMs` on the notice).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepsOutput } from './fixtures/workloads.js';
import type { StepsInput } from './fixtures/workloads.js';
import { figure } from './support/figure.js';
import { countExecutions, readLedger } from './support/ledger.js';
import { clientRuntime, useStores } from './support/lifecycle.js';
import { startWorker, stopWorker } from './support/processes.js';
import { STORES, unavailable } from './support/stores.js';
import { settle, until } from './support/wait.js';

const LEASE_MS = 1000;
const HUB = 'lapse';

describe('leases that lapse while the holder is alive', () => {
  const openStore = useStores();

  for (const kind of STORES) {
    it.skipIf(unavailable(kind))(`${kind}: activities queued behind busy slots longer than the lease still complete, once each`, { timeout: 60_000 }, async () => {
      const store = await openStore(kind);
      const ledger = join(store.dir, 'ledger.jsonl');
      // Two slots, six instances started at once, activities longer than the lease: most items queue.
      const worker = await startWorker('w', { ...store.env, FAULT_HUB: HUB, FAULT_LEDGER: ledger, FAULT_LEASE_MS: String(LEASE_MS), FAULT_ACTIVITIES: '2' });
      const runtime = clientRuntime(store, HUB);
      const starts = Array.from({ length: 6 }, (_, i) => ({ instanceId: `queued-${i}`, input: { seed: i, steps: 1, ms: 1500 } satisfies StepsInput }));
      await Promise.all(starts.map((s) => runtime.client.startNew('Steps', s)));
      const unfinished = await settle(runtime.client, starts.map((s) => s.instanceId), 12_000);
      let wrong = 0;
      for (const s of starts) if ((await runtime.client.getStatus(s.instanceId))?.output !== stepsOutput(s.input)) wrong++;
      const stats = await stopWorker(worker);
      const counts = countExecutions(readLedger(ledger), new Set());

      figure(`queued-past-lease-${kind}`, {
        instances: starts.length,
        unfinished: unfinished.length,
        wrong,
        refusedCommits: stats.refusedCommits,
        executions: counts.executions,
        unattributed: counts.unattributed.length,
      });
      expect(unfinished).toEqual([]);
      expect(wrong).toBe(0);
      expect(counts.unattributed).toEqual([]); // no fault at all: every item runs exactly once
    });
  }

  for (const kind of STORES) {
    it.skipIf(unavailable(kind))(`${kind}: a worker idle before the work arrived takes over a paused worker's activity`, { timeout: 60_000 }, async () => {
      const store = await openStore(kind);
      const ledger = join(store.dir, 'ledger.jsonl');
      const env = { ...store.env, FAULT_HUB: HUB, FAULT_LEDGER: ledger, FAULT_LEASE_MS: String(LEASE_MS) };
      if (kind === 'sqlite') await store.storage().open();
      const workers = await Promise.all([startWorker('a', env), startWorker('b', env)]);
      const runtime = clientRuntime(store, HUB);
      const input: StepsInput = { seed: 1, steps: 2, ms: 2500 };
      await runtime.client.startNew('Steps', { instanceId: 'idle-takeover', input });

      await until(() => readLedger(ledger).length > 0, 30_000, 'the first activity');
      const zombie = workers.find((w) => w.pid === readLedger(ledger)[0]!.pid)!;
      const idle = workers.find((w) => w !== zombie)!;
      zombie.kill('SIGSTOP');
      const pausedAt = Date.now();
      const takenOver = await until(() => readLedger(ledger).some((e) => e.pid === idle.pid), LEASE_MS + 6_000, 'the idle worker to take over').then(
        () => true,
        () => false,
      );
      const takeoverMs = Date.now() - pausedAt;
      zombie.kill('SIGCONT');
      const unfinished = await settle(runtime.client, ['idle-takeover'], 15_000);
      const status = await runtime.client.getStatus('idle-takeover');
      const zombieStats = await stopWorker(zombie);
      await stopWorker(idle);
      const counts = countExecutions(readLedger(ledger), new Set([zombie.pid]));

      figure(`idle-takeover-${kind}`, {
        takenOver,
        takeoverMs,
        leaseMs: LEASE_MS,
        unfinished: unfinished.length,
        refusedCommits: zombieStats.refusedCommits,
        executions: counts.executions,
        unattributed: counts.unattributed.length,
      });
      expect(takenOver).toBe(true);
      expect(status?.runtimeStatus).toBe('Completed');
      expect(status?.output).toBe(stepsOutput(input));
      expect(counts.unattributed).toEqual([]);
    });
  }
});
