// Poison work: the cap is checked before any of the orchestrator's code runs, and the
// runtime's own retry path counts toward it. Guards issue 12, defect 7: the check ran after
// history was replayed, so a replay that kills its worker was never capped.
import { describe, expect, it } from 'vitest';
import { StorageError, entityId } from '@reprise/core';
import type { EntityContext, EntityLock, OrchestrationCommit, OrchestrationContext, OrchestratorFunction, Storage } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { eventually, sleep, startRuntime } from './helpers.js';

/** Plays a worker that keeps dying with `instanceId`: it leases it `times` times and lets each lease run out. */
async function dieWith(storage: Storage, instanceId: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    await eventually(async () => (await storage.lockInstances('default', { max: 10, leaseMs: 1 })).items.some((l) => l.instance.instanceId === instanceId));
    await sleep(5);
  }
}

describe('poison orchestrations', () => {
  it('are failed before any replay: past maxDeliveries the orchestrator code never runs, the parent is told and held locks are released', async () => {
    const storage = memoryStorage();
    const a = entityId('Box', 'a');
    const b = entityId('Box', 'b');
    let fragileRuns = 0;
    const options = {
      storage,
      maxDeliveries: 2,
      entities: { Box: { get: (ctx: EntityContext<number>) => ctx.getState(() => 0) } },
      orchestrators: {
        Parent: function* (ctx: OrchestrationContext) {
          try {
            return yield ctx.callSubOrchestrator('Fragile', undefined, 'fragile');
          } catch (error) {
            return (error as Error).name;
          }
        },
        // Stands for an orchestrator whose replay kills its worker: any run after the first is a replay.
        Fragile: function* (ctx: OrchestrationContext) {
          fragileRuns++;
          yield ctx.lock([a, b]);
          return yield ctx.waitForExternalEvent('go');
        },
        Locker: function* (ctx: OrchestrationContext) {
          const lock: EntityLock = yield ctx.lock([b, a]);
          lock.release();
          return 'locked';
        },
      } satisfies Record<string, OrchestratorFunction>,
    };
    const first = await startRuntime(options);
    const parent = await first.client.startNew('Parent');
    await eventually(async () => (await storage.getHistory('default', 'fragile')).some((e) => e.EventType === 'EntityResponse'));
    await first.stop();
    expect(fragileRuns).toBe(1);

    await first.client.raiseEvent('fragile', 'go', 'value');
    await dieWith(storage, 'fragile', 3); // deliveries 1, 2, 3: past maxDeliveries 2

    const second = await startRuntime(options); // a new process: no cached generator, so any run would replay
    const status = await second.client.waitForCompletion('fragile', { timeoutMs: 5000 });
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toMatchObject({ name: 'MaxDeliveriesExceededError' });
    expect(fragileRuns).toBe(1);
    expect((await second.client.waitForCompletion(parent, { timeoutMs: 5000 })).output).toBe('MaxDeliveriesExceededError');
    // Both entities of the section were released: another orchestration gets the same lock set.
    const locker = await second.client.startNew('Locker');
    expect((await second.client.waitForCompletion(locker, { timeoutMs: 5000 })).output).toBe('locked');
  });

  it('an episode that fails in the runtime is retried at once, but counts: it reaches maxDeliveries instead of looping hot', async () => {
    const memory = memoryStorage();
    let refused = 0;
    // A store that refuses every commit of 'flaky' except the one that fails it.
    const storage = new Proxy(memory, {
      get(target, key, receiver) {
        if (key === 'commitOrchestration') {
          return async (hub: string, commit: OrchestrationCommit) => {
            if (commit.instanceId === 'flaky' && commit.instance.status !== 'Failed') {
              refused++;
              throw new StorageError('the store refused the commit');
            }
            return target.commitOrchestration(hub, commit);
          };
        }
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const errors: unknown[] = [];
    const originalError = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const runtime = await startRuntime({ storage, maxDeliveries: 3, orchestrators: { Job: function* () { return 1; } } });
      await runtime.client.startNew('Job', { instanceId: 'flaky' });
      const status = await runtime.client.waitForCompletion('flaky', { timeoutMs: 5000 });
      expect(status.runtimeStatus).toBe('Failed');
      expect(status.output).toMatchObject({ name: 'MaxDeliveriesExceededError' });
      expect(refused).toBe(3);
      expect(errors).toHaveLength(3);
    } finally {
      console.error = originalError;
    }
  });
});
