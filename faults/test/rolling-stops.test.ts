/**
 * Rolling deploys (issue 12, item 4): a 3 s activity whose worker is stopped
 * gracefully (`runtime.stop()`) six times while running it, more than
 * `maxDeliveries` (5). A graceful stop hands the item back; it is not a failed
 * delivery, so the seventh worker runs it to completion.
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
import { settle, sleep, until } from './support/wait.js';

const STOPS = 6;
const HUB = 'rolling';
const TERMINAL = ['Completed', 'Failed', 'Terminated', 'Canceled'];

describe('rolling graceful stops', () => {
  const openStore = useStores();

  for (const kind of STORES) {
    it.skipIf(unavailable(kind))(`${kind}: an activity survives ${STOPS} graceful stops of its worker and completes`, { timeout: 120_000 }, async () => {
      const store = await openStore(kind);
      const ledger = join(store.dir, 'ledger.jsonl');
      const env = { ...store.env, FAULT_HUB: HUB, FAULT_LEDGER: ledger, FAULT_LEASE_MS: '1500' };
      const runtime = clientRuntime(store, HUB);
      const input: StepsInput = { seed: 7, steps: 1, ms: 3000 };
      await runtime.client.startNew('Steps', { instanceId: 'rolling', input });

      const stopped = new Set<number>();
      for (let round = 0; round < STOPS; round++) {
        const worker = await startWorker(`w${round}`, env);
        let finished = false;
        await until(async () => {
          finished = TERMINAL.includes((await runtime.client.getStatus('rolling'))?.runtimeStatus ?? '');
          return finished || readLedger(ledger).some((e) => e.pid === worker.pid && e.phase === 'start');
        }, 20_000, `worker ${round} to pick the activity up`);
        if (finished) {
          // Ended without running (the defect: failed as poison on this pickup).
          await stopWorker(worker);
          break;
        }
        await sleep(300);
        await stopWorker(worker);
        stopped.add(worker.pid);
      }
      // Then left to run.
      const last = await startWorker('last', env);
      const unfinished = await settle(runtime.client, ['rolling'], 20_000);
      const status = await runtime.client.getStatus('rolling');
      await stopWorker(last);
      const counts = countExecutions(readLedger(ledger), stopped);
      const error = status?.runtimeStatus === 'Failed' ? (status.output as { name?: string } | undefined)?.name : undefined;

      figure(`rolling-stops-${kind}`, {
        stops: stopped.size,
        status: status?.runtimeStatus ?? 'missing',
        error: error ?? 'none',
        unfinished: unfinished.length,
        executions: counts.executions,
        reExecutions: counts.reExecutions,
        unattributed: counts.unattributed.length,
      });
      expect(error).toBeUndefined();
      expect(status?.runtimeStatus).toBe('Completed');
      expect(status?.output).toBe(stepsOutput(input));
      expect(counts.executions).toBe(STOPS + 1);
      expect(counts.unattributed).toEqual([]);
    });
  }
});
