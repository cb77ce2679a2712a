/**
 * SIGKILL of a worker while it holds step-commit graces (SQLite, Redis):
 * every instance's lease is kept for the worker while it runs the activity
 * its own commit leased to it. Both leases run out, the activities are
 * redelivered to another worker, and nothing is lost or applied twice:
 * every history equals an uninterrupted run's.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepsOutput } from './fixtures/workloads.js';
import type { StepsInput } from './fixtures/workloads.js';
import { figure } from './support/figure.js';
import { referenceHistories, storedHistory } from './support/histories.js';
import { countExecutions, inFlight, readLedger } from './support/ledger.js';
import { clientRuntime, useStores } from './support/lifecycle.js';
import { killWorker, startWorker, stopWorker } from './support/processes.js';
import { STORES, unavailable } from './support/stores.js';
import { settle, until } from './support/wait.js';

const INSTANCES = 6;
const STEPS = 3;
/** Longer than a lock round trip, shorter than the grace: each step of the victim runs under its grace. */
const ACTIVITY_MS = 600;
const GRACE_MS = 2000;
const HUB = 'grace';

describe('SIGKILL of a worker holding step-commit graces', () => {
  const openStore = useStores();

  for (const kind of STORES) {
    it.skipIf(unavailable(kind))(`${kind}: killed mid-activity under its grace: 0 lost, histories identical, re-executions only of its items`, { timeout: 90_000 }, async () => {
      const store = await openStore(kind);
      const ledger = join(store.dir, 'ledger.jsonl');
      const env = { ...store.env, FAULT_HUB: HUB, FAULT_LEDGER: ledger, FAULT_LEASE_MS: '1500', FAULT_STEP_GRACE_MS: String(GRACE_MS), FAULT_ACTIVITIES: String(INSTANCES) };
      const starts = Array.from({ length: INSTANCES }, (_, i) => ({ name: 'Steps', instanceId: `grace-${i}`, input: { seed: i, steps: STEPS, ms: ACTIVITY_MS } satisfies StepsInput }));
      const reference = await referenceHistories(starts);

      if (kind === 'sqlite') await store.storage().open();
      const victim = await startWorker('w0', env);
      const runtime = clientRuntime(store, HUB);
      await Promise.all(starts.map((s) => runtime.client.startNew(s.name, { instanceId: s.instanceId, input: s.input })));

      // Past the first step (its result went out in a step commit), every instance's next activity in flight on the victim.
      await until(() => {
        const entries = readLedger(ledger);
        const firstStepsDone = entries.filter((e) => e.pid === victim.pid && e.phase === 'done').length >= INSTANCES;
        return firstStepsDone && inFlight(entries, victim.pid).length === INSTANCES;
      }, 30_000, 'every instance to run its second step on the victim');
      const runningAtKill = inFlight(readLedger(ledger), victim.pid).length;
      await killWorker(victim);

      const survivor = await startWorker('w1', env);
      const unfinished = await settle(runtime.client, starts.map((s) => s.instanceId), 60_000);
      const storage = store.storage();
      let lost = 0;
      let historyMismatches = 0;
      for (const s of starts) {
        const status = await runtime.client.getStatus(s.instanceId);
        if (status?.runtimeStatus !== 'Completed' || status.output !== stepsOutput(s.input)) lost++;
        const history = await storedHistory(storage, HUB, s.instanceId);
        if (JSON.stringify(history) !== JSON.stringify(reference.get(s.instanceId))) historyMismatches++;
      }
      await stopWorker(survivor);
      const counts = countExecutions(readLedger(ledger), new Set([victim.pid]));

      figure(`sigkill-grace-${kind}`, { instances: INSTANCES, lost, unfinished: unfinished.length, historyMismatches, runningAtKill, reExecutions: counts.reExecutions, unattributed: counts.unattributed.length });
      expect(lost).toBe(0);
      expect(historyMismatches).toBe(0);
      expect(counts.items).toBe(INSTANCES * STEPS);
      expect(counts.unattributed).toEqual([]);
      expect(counts.reExecutions).toBe(runningAtKill);
    });
  }
});
