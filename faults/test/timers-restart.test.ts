/**
 * Durable timers across a kill-all: every worker SIGKILLed while instances
 * wait on timers, down while some come due, then restarted. No timer fires
 * early (by its own event or by the activity that follows it) and none fires
 * twice.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '@reprise/core';
import { figure } from './support/figure.js';
import { countExecutions, readLedger } from './support/ledger.js';
import { clientRuntime, useStores } from './support/lifecycle.js';
import { killWorker, startWorker, stopWorker } from './support/processes.js';
import { STORES, unavailable } from './support/stores.js';
import { settle, sleep, until } from './support/wait.js';

const INSTANCES = 12;
const TIMERS = 3;
const HUB = 'timers';

describe('durable timers across a kill-all restart', () => {
  const openStore = useStores();

  for (const kind of STORES) {
    it.skipIf(unavailable(kind))(`${kind}: 0 early and 0 duplicate timer fires`, { timeout: 90_000 }, async () => {
      const store = await openStore(kind);
      const ledger = join(store.dir, 'ledger.jsonl');
      const env = { ...store.env, FAULT_HUB: HUB, FAULT_LEDGER: ledger, FAULT_LEASE_MS: '1000' };
      if (kind === 'sqlite') await store.storage().open();
      const killed = new Set<number>();
      let workers = await Promise.all(['a0', 'b0'].map((name) => startWorker(name, env)));
      const runtime = clientRuntime(store, HUB);
      const ids = Array.from({ length: INSTANCES }, (_, i) => `timers-${i}`);
      await Promise.all(ids.map((instanceId, i) => runtime.client.startNew('Timers', { instanceId, input: { delaysMs: [800 + 60 * i, 1200, 900 + 40 * i].slice(0, TIMERS) } })));

      // Some first timers have fired; kill every worker, stay down while more come due, restart.
      await until(() => readLedger(ledger).length >= 3, 20_000, 'some timers to fire');
      const firedBeforeKill = readLedger(ledger).length;
      for (const w of workers) killed.add(w.pid);
      await Promise.all(workers.map(killWorker));
      await sleep(2000);
      workers = await Promise.all(['a1', 'b1'].map((name) => startWorker(name, env)));

      const unfinished = await settle(runtime.client, ids, 40_000);
      const storage = store.storage();
      let early = 0;
      let duplicateFires = 0;
      let timersFired = 0;
      let completed = 0;
      for (const id of ids) {
        if ((await runtime.client.getStatus(id))?.output === TIMERS) completed++;
        const fired = (await storage.getHistory(HUB, id)).filter((e): e is Extract<HistoryEvent, { EventType: 'TimerFired' }> => e.EventType === 'TimerFired');
        timersFired += fired.length;
        duplicateFires += fired.length - new Set(fired.map((e) => e.TimerId)).size;
        early += fired.filter((e) => Date.parse(e.Timestamp) < Date.parse(e.FireAt)).length;
      }
      const entries = readLedger(ledger);
      const earlyActivities = entries.filter((e) => e.fireAt !== undefined && e.at < e.fireAt).length;
      await Promise.all(workers.map((w) => stopWorker(w)));
      const counts = countExecutions(entries, killed);

      figure(`timers-kill-all-${kind}`, {
        instances: INSTANCES,
        timers: INSTANCES * TIMERS,
        firedBeforeKill,
        timersFired,
        early,
        earlyActivities,
        duplicateFires,
        completed,
        unfinished: unfinished.length,
        reExecutions: counts.reExecutions,
        unattributed: counts.unattributed.length,
      });
      expect(firedBeforeKill).toBeGreaterThan(0);
      expect(firedBeforeKill).toBeLessThan(INSTANCES * TIMERS);
      expect(early).toBe(0);
      expect(earlyActivities).toBe(0);
      expect(duplicateFires).toBe(0);
      expect(timersFired).toBe(INSTANCES * TIMERS);
      expect(completed).toBe(INSTANCES);
      expect(counts.unattributed).toEqual([]);
    });
  }
});
