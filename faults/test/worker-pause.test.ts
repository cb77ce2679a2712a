/**
 * A zombie worker: SIGSTOPped while it runs activities, kept paused past its
 * lease (another worker takes its work over), then SIGCONT. Its late commits
 * must be refused (fencing) and no history may hold an event twice.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '@reprise/core';
import { stepsOutput } from './fixtures/workloads.js';
import type { StepsInput } from './fixtures/workloads.js';
import { figure } from './support/figure.js';
import { normalize, referenceHistories } from './support/histories.js';
import { countExecutions, inFlight, itemKey, readLedger } from './support/ledger.js';
import { clientRuntime, useStores } from './support/lifecycle.js';
import { startWorker, stopWorker } from './support/processes.js';
import { STORES, unavailable } from './support/stores.js';
import { settle, sleep, until } from './support/wait.js';

const INSTANCES = 8;
const STEPS = 3;
const LEASE_MS = 1000;
/** Shorter than the lease (a healthy run never lapses), long enough that the zombie is mid-activity when paused. */
const ACTIVITY_MS = 700;
const PAUSE_MS = 3500;
const HUB = 'zombie';

/** Events recorded more than once for the same task (scheduled or answered twice). */
function duplicateEvents(history: HistoryEvent[]): number {
  const seen = new Set<string>();
  let duplicates = 0;
  for (const event of history) {
    const e = event as unknown as { EventType: string; EventId?: number; TaskScheduledId?: number; TimerId?: number };
    const id = e.EventId ?? e.TaskScheduledId ?? e.TimerId;
    if (id === undefined && e.EventType !== 'ExecutionStarted' && e.EventType !== 'ExecutionCompleted') continue;
    const key = `${e.EventType}#${id ?? ''}`;
    if (seen.has(key)) duplicates++;
    seen.add(key);
  }
  return duplicates;
}

describe('SIGSTOP zombie worker', () => {
  const openStore = useStores();

  for (const kind of STORES) {
    it.skipIf(unavailable(kind))(`${kind}: a worker paused past its lease is fenced on SIGCONT: 0 duplicate events`, { timeout: 90_000 }, async () => {
      const store = await openStore(kind);
      const ledger = join(store.dir, 'ledger.jsonl');
      const env = { ...store.env, FAULT_HUB: HUB, FAULT_LEDGER: ledger, FAULT_LEASE_MS: String(LEASE_MS), FAULT_ACTIVITIES: '16' };
      const starts = Array.from({ length: INSTANCES }, (_, i) => ({ name: 'Steps', instanceId: `zombie-${i}`, input: { seed: i, steps: STEPS, ms: ACTIVITY_MS } satisfies StepsInput }));
      const reference = await referenceHistories(starts);

      if (kind === 'sqlite') await store.storage().open();
      const zombie = await startWorker('zombie', env);
      const runtime = clientRuntime(store, HUB);
      await Promise.all(starts.map((s) => runtime.client.startNew(s.name, { instanceId: s.instanceId, input: s.input })));

      // Pause it just after it started an activity, so that activity is surely still running.
      const justStarted = () => {
        const entries = readLedger(ledger);
        const running = new Set(inFlight(entries, zombie.pid));
        return entries.some((e) => e.pid === zombie.pid && e.phase === 'start' && running.has(itemKey(e)) && Date.now() - e.at < ACTIVITY_MS / 3);
      };
      await until(justStarted, 30_000, 'the zombie to start an activity');
      const runningAtPause = inFlight(readLedger(ledger), zombie.pid).length;
      zombie.kill('SIGSTOP');
      const pausedAt = Date.now();
      // The operator's replacement comes up while the zombie hangs; it takes the work over once the leases lapse.
      const healthy = await startWorker('healthy', env);
      await sleep(PAUSE_MS - (Date.now() - pausedAt));
      zombie.kill('SIGCONT');

      const unfinished = await settle(runtime.client, starts.map((s) => s.instanceId), 60_000);
      const storage = store.storage();
      let lost = 0;
      let duplicates = 0;
      let historyMismatches = 0;
      for (const s of starts) {
        const status = await runtime.client.getStatus(s.instanceId);
        if (status?.runtimeStatus !== 'Completed' || status.output !== stepsOutput(s.input)) lost++;
        const history = await storage.getHistory(HUB, s.instanceId);
        duplicates += duplicateEvents(history);
        if (JSON.stringify(normalize(history)) !== JSON.stringify(reference.get(s.instanceId))) historyMismatches++;
      }
      const zombieStats = await stopWorker(zombie);
      await stopWorker(healthy);
      const counts = countExecutions(readLedger(ledger), new Set([zombie.pid]));

      figure(`sigstop-zombie-${kind}`, {
        instances: INSTANCES,
        runningAtPause,
        pauseMs: PAUSE_MS,
        leaseMs: LEASE_MS,
        refusedCommits: zombieStats.refusedCommits,
        lostLeases: zombieStats.lostLeases,
        zombieErrors: Object.entries(zombieStats.errors).map(([k, v]) => `${k}x${v}`).join(',') || 'none',
        duplicateEvents: duplicates,
        historyMismatches,
        lost,
        executions: counts.executions,
        reExecutions: counts.reExecutions,
        unattributed: counts.unattributed.length,
      });
      expect(unfinished).toEqual([]);
      expect(zombieStats.refusedCommits).toBeGreaterThan(0);
      expect(duplicates).toBe(0);
      expect(historyMismatches).toBe(0);
      expect(lost).toBe(0);
      expect(counts.unattributed).toEqual([]);
      expect(counts.reExecutions).toBeGreaterThan(0); // the healthy worker did take the zombie's work over
    });
  }
});
