/**
 * Poison beside healthy work (issue 12, item 3): an activity and an
 * orchestrator that SIGKILL their worker on every attempt, started together
 * with 10 healthy instances; the worker is restarted after each kill. Only
 * the item running when a worker died may be charged a delivery, so the
 * poisons fail with MaxDeliveriesExceededError and all 10 healthy complete.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepsOutput } from './fixtures/workloads.js';
import type { StepsInput } from './fixtures/workloads.js';
import { figure } from './support/figure.js';
import { countExecutions, readLedger } from './support/ledger.js';
import { clientRuntime, useStores } from './support/lifecycle.js';
import { startWorker, stopWorker } from './support/processes.js';
import type { Child } from './support/processes.js';
import { STORES, unavailable } from './support/stores.js';
import { sleep } from './support/wait.js';

const HEALTHY = 10;
const MAX_DELIVERIES = 3;
const MAX_RESTARTS = 30;
const HUB = 'poison';
const TERMINAL = ['Completed', 'Failed', 'Terminated', 'Canceled'];

describe('poison work beside healthy work', () => {
  const openStore = useStores();

  for (const kind of STORES) {
    it.skipIf(unavailable(kind))(`${kind}: a poison activity and a poison orchestrator fail as poison; all ${HEALTHY} healthy instances complete`, { timeout: 120_000 }, async () => {
      const store = await openStore(kind);
      const ledger = join(store.dir, 'ledger.jsonl');
      const env = { ...store.env, FAULT_HUB: HUB, FAULT_LEDGER: ledger, FAULT_LEASE_MS: '1000', FAULT_MAX_DELIVERIES: String(MAX_DELIVERIES) };
      const healthy = Array.from({ length: HEALTHY }, (_, i) => ({ instanceId: `healthy-${i}`, input: { seed: i, steps: 3, ms: 300 } satisfies StepsInput }));
      const poisons = ['PoisonActivity', 'PoisonOrchestrator'];
      const ids = [...healthy.map((h) => h.instanceId), ...poisons];

      let worker: Child = await startWorker('w0', env);
      const killed = new Set<number>();
      const runtime = clientRuntime(store, HUB);
      await Promise.all([
        ...healthy.map((h) => runtime.client.startNew('Steps', h)),
        ...poisons.map((name) => runtime.client.startNew(name, { instanceId: name })),
      ]);

      // The supervisor: restart the worker whenever it dies, until everything is terminal (bounded).
      const deadline = Date.now() + 75_000;
      let terminal = 0;
      while (Date.now() < deadline && killed.size <= MAX_RESTARTS) {
        const exit = await Promise.race([worker.exited, sleep(250).then(() => undefined)]);
        if (exit) {
          killed.add(worker.pid);
          worker = await startWorker(`w${killed.size}`, env);
        }
        const statuses = await Promise.all(ids.map((id) => runtime.client.getStatus(id)));
        terminal = statuses.filter((s) => s && TERMINAL.includes(s.runtimeStatus)).length;
        if (terminal === ids.length) break;
      }

      let healthyCompleted = 0;
      let healthyFailedAsPoison = 0;
      for (const h of healthy) {
        const status = await runtime.client.getStatus(h.instanceId);
        if (status?.runtimeStatus === 'Completed' && status.output === stepsOutput(h.input)) healthyCompleted++;
        if ((status?.output as { name?: string } | undefined)?.name === 'MaxDeliveriesExceededError') healthyFailedAsPoison++;
      }
      const poisonErrors: string[] = [];
      for (const name of poisons) {
        const status = await runtime.client.getStatus(name);
        poisonErrors.push(status?.runtimeStatus === 'Failed' ? String((status.output as { name?: string } | undefined)?.name) : `${status?.runtimeStatus}`);
      }
      await stopWorker(worker);
      const counts = countExecutions(readLedger(ledger), killed);

      figure(`poison-beside-healthy-${kind}`, {
        healthy: HEALTHY,
        healthyCompleted,
        healthyFailedAsPoison,
        poisonActivity: poisonErrors[0]!,
        poisonOrchestrator: poisonErrors[1]!,
        kills: killed.size,
        terminal,
        executions: counts.executions,
        reExecutions: counts.reExecutions,
        unattributed: counts.unattributed.length,
      });
      expect(healthyCompleted).toBe(HEALTHY);
      expect(poisonErrors).toEqual(['MaxDeliveriesExceededError', 'MaxDeliveriesExceededError']);
      expect(counts.unattributed).toEqual([]);
    });
  }
});
