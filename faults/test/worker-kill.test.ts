/**
 * SIGKILL of one of three workers mid-run, on a shared SQLite file and on
 * Redis: no instance is lost, every history equals an uninterrupted run's
 * (modulo timestamps), and only items the killed worker was running run twice.
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

const INSTANCES = 24;
const STEPS = 5;
const ACTIVITY_MS = 150;
/** Per worker; a kill can cost at most this many re-executions. */
const ACTIVITY_SLOTS = 4;
const HUB = 'kill';

describe('SIGKILL of a worker mid-run', () => {
  const openStore = useStores();

  for (const kind of STORES) {
    it.skipIf(unavailable(kind))(`${kind}: 3 workers, one killed: 0 lost, histories identical, re-executions only of its items`, { timeout: 90_000 }, async () => {
      const store = await openStore(kind);
      const ledger = join(store.dir, 'ledger.jsonl');
      const env = { ...store.env, FAULT_HUB: HUB, FAULT_LEDGER: ledger, FAULT_LEASE_MS: '1500', FAULT_ACTIVITIES: String(ACTIVITY_SLOTS), FAULT_ORCHESTRATIONS: '4' };
      const starts = Array.from({ length: INSTANCES }, (_, i) => ({ name: 'Steps', instanceId: `kill-${i}`, input: { seed: i, steps: STEPS, ms: ACTIVITY_MS } satisfies StepsInput }));
      const reference = await referenceHistories(starts);

      if (kind === 'sqlite') await store.storage().open(); // the schema exists before three processes race to create it
      const workers = await Promise.all(['w0', 'w1', 'w2'].map((name) => startWorker(name, env)));
      const runtime = clientRuntime(store, HUB);
      await Promise.all(starts.map((s) => runtime.client.startNew(s.name, { instanceId: s.instanceId, input: s.input })));

      // Well under way, kill a worker that is running activities right now.
      let victim = workers[0]!;
      await until(() => {
        const entries = readLedger(ledger);
        const busy = workers.find((w) => inFlight(entries, w.pid).length > 0);
        if (busy) victim = busy;
        return entries.filter((e) => e.phase === 'start').length >= INSTANCES && busy !== undefined;
      }, 30_000, 'the run to get under way');
      const runningAtKill = inFlight(readLedger(ledger), victim.pid).length;
      await killWorker(victim);
      const startsAtKill = readLedger(ledger).filter((e) => e.phase === 'start').length;

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
      const survivors = workers.filter((w) => w !== victim);
      await Promise.all(survivors.map((w) => stopWorker(w)));
      const counts = countExecutions(readLedger(ledger), new Set([victim.pid]));

      figure(`sigkill-worker-${kind}`, {
        instances: INSTANCES,
        lost,
        unfinished: unfinished.length,
        historyMismatches,
        startsAtKill,
        runningAtKill,
        executions: counts.executions,
        reExecutions: counts.reExecutions,
        unattributed: counts.unattributed.length,
      });
      expect(startsAtKill).toBeLessThan(INSTANCES * STEPS); // the kill landed mid-run
      expect(lost).toBe(0);
      expect(historyMismatches).toBe(0);
      expect(counts.items).toBe(INSTANCES * STEPS);
      expect(counts.unattributed).toEqual([]);
      expect(counts.reExecutions).toBeLessThanOrEqual(ACTIVITY_SLOTS);
    });
  }
});
