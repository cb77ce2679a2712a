/**
 * Redelivery through real runtimes on the store under test: graceful stops
 * never count as deliveries, a redelivered work item runs alone in its
 * runtime while fresh work keeps running in parallel, and it is not leased
 * (so not charged) while its runtime drains the work in flight.
 *
 * Guards issue 12, defects 3 and 4.
 */
import { describe, expect, it } from 'vitest';
import type { ActivityContext, ActivityWorkItem, LockOptions, LockResult, OrchestrationCommit, OrchestrationContext, OrchestratorFunction, Storage } from '@reprise/core';
import type { ConformanceContext } from './context.js';
import { PAST_EXPIRY, SHORT_LEASE } from './context.js';
import { eventually, runtimeStarter, sleep } from './runtime-helpers.js';

/** The same store for a runtime that only runs orchestrations: it never locks (or eagerly takes) work items. */
function orchestrationsOnly(storage: Storage): Storage {
  return new Proxy(storage, {
    get(target, key, receiver) {
      if (key === 'lockActivities') return async () => ({ items: [] });
      if (key === 'commitOrchestration') {
        return (hub: string, commit: OrchestrationCommit) => target.commitOrchestration(hub, { ...commit, lockActivities: undefined });
      }
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The same store, telling `seen` about every work item a lock call hands out. */
function watchingActivityLocks(storage: Storage, seen: (item: ActivityWorkItem) => void): Storage {
  return new Proxy(storage, {
    get(target, key, receiver) {
      if (key === 'lockActivities') {
        return async (hub: string, options: LockOptions): Promise<LockResult<ActivityWorkItem>> => {
          const result = await target.lockActivities(hub, options);
          result.items.forEach(seen);
          return result;
        };
      }
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const Fan = function* (c: OrchestrationContext<number>) {
  const calls = Array.from({ length: c.getInput() }, (_, i) => c.callActivity<string>('Probe', `${c.instanceId}/${i}`));
  return yield c.Task.all(calls);
} satisfies OrchestratorFunction;

export function describeRuntimeRedelivery(ctx: ConformanceContext): void {
  describe('redelivery through a runtime', () => {
    const startRuntime = runtimeStarter(ctx);

    it('graceful stops are not deliveries: an activity stopped six times (rolling deploys) still runs and completes', async () => {
      const hub = ctx.hub();
      const attempts: number[] = [];
      let finish = false;
      const options = {
        taskHub: hub,
        activities: {
          Slow: (_: unknown, actx: ActivityContext) =>
            new Promise<string>((resolve, reject) => {
              attempts.push(actx.attempt);
              if (finish) return resolve('done');
              actx.signal.addEventListener('abort', () => reject(new Error('stopped')));
            }),
        },
        orchestrators: {
          Once: function* (c: OrchestrationContext) {
            return yield c.callActivity('Slow');
          },
        } satisfies Record<string, OrchestratorFunction>,
      };
      let runtime = await startRuntime(options);
      const id = await runtime.client.startNew('Once');
      for (let stops = 1; stops <= 6; stops++) {
        await eventually(async () => attempts.length === stops);
        await runtime.stop();
        finish = stops === 6;
        runtime = await startRuntime(options);
      }
      const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
      expect(status.runtimeStatus).toBe('Completed');
      expect(status.output).toBe('done');
      expect(attempts).toEqual([1, 1, 1, 1, 1, 1, 1]);
    });

    it('a redelivered work item is not leased while its runtime drains the work in flight; then it runs alone', async () => {
      const hub = ctx.hub();
      const scheduler = await startRuntime({ taskHub: hub, storage: orchestrationsOnly(ctx.storage), orchestrators: { Fan } });
      await scheduler.client.startNew('Fan', { instanceId: 'dead', input: 1 });
      await eventually(async () => (await ctx.storage.getInstance(hub, 'dead'))?.historyLength === 2);
      await scheduler.stop();
      // A worker leases the item and dies with it; its lease lapses while the runtime below is busy.
      let leased: ActivityWorkItem[] = [];
      while (leased.length === 0) leased = (await ctx.storage.lockActivities(hub, { max: 10, leaseMs: 400 })).items;

      let release = () => {};
      let slowRunning = false;
      const handedOut: Array<{ key: string; deliveries: number; slowRunning: boolean }> = [];
      const runs: Array<{ key: string; attempt: number }> = [];
      const worker = await startRuntime({
        taskHub: hub,
        storage: watchingActivityLocks(ctx.storage, (item) => handedOut.push({ key: `${item.instanceId}/${item.taskScheduledId}`, deliveries: item.deliveries, slowRunning })),
        orchestrators: {
          Fan,
          Slow: function* (c: OrchestrationContext) {
            return yield c.callActivity('Slow');
          },
        },
        activities: {
          Probe: (key: string, actx: ActivityContext) => {
            runs.push({ key, attempt: actx.attempt });
            return key;
          },
          Slow: () => {
            slowRunning = true;
            return new Promise<string>((resolve) => {
              release = () => {
                slowRunning = false;
                resolve('slow');
              };
            });
          },
        },
      });
      await worker.client.startNew('Slow', { instanceId: 'slow' });
      await eventually(async () => slowRunning);
      await sleep(PAST_EXPIRY + 400); // the dead lease lapsed; the runtime has looked again (its lock call said when)
      expect(handedOut.filter((h) => h.deliveries > 1), 'handed out (charged) while the runtime drained').toEqual([]);
      expect(runs).toEqual([]);
      release();
      const status = await worker.client.waitForCompletion('dead', { timeoutMs: 10_000 });
      expect(status.output).toEqual(['dead/0']);
      expect(runs).toEqual([{ key: 'dead/0', attempt: 2 }]);
      expect(handedOut.filter((h) => h.deliveries > 1)).toEqual([{ key: 'dead/0', deliveries: 2, slowRunning: false }]);
      expect((await worker.client.waitForCompletion('slow', { timeoutMs: 10_000 })).output).toBe('slow');
    });

    it('a redelivered work item runs alone in its runtime; fresh work still runs in parallel', async () => {
      const hub = ctx.hub();
      const scheduler = await startRuntime({ taskHub: hub, storage: orchestrationsOnly(ctx.storage), orchestrators: { Fan } });
      const scheduled = async (id: string, n: number) => (await ctx.storage.getInstance(hub, id))?.historyLength === 1 + n;
      await scheduler.client.startNew('Fan', { instanceId: 'dead', input: 3 });
      await eventually(() => scheduled('dead', 3));
      // A worker leases the three items and dies with them.
      const leased: string[] = [];
      while (leased.length < 3) {
        const { items } = await ctx.storage.lockActivities(hub, { max: 10, leaseMs: SHORT_LEASE });
        leased.push(...items.map((i) => i.id));
        if (items.length === 0) await sleep(10);
      }
      await scheduler.client.startNew('Fan', { instanceId: 'fresh', input: 4 });
      await eventually(() => scheduled('fresh', 4));
      await scheduler.stop();
      await sleep(PAST_EXPIRY);

      const active = new Set<{ key: string; attempt: number; overlapped: boolean }>();
      const runs: Array<{ key: string; attempt: number; overlapped: boolean }> = [];
      const worker = await startRuntime({
        taskHub: hub,
        orchestrators: { Fan },
        activities: {
          Probe: async (key: string, actx: ActivityContext) => {
            const run = { key, attempt: actx.attempt, overlapped: false };
            for (const other of active) other.overlapped = run.overlapped = true;
            active.add(run);
            runs.push(run);
            await sleep(80);
            active.delete(run);
            return key;
          },
        },
      });
      for (const [id, n] of [['dead', 3], ['fresh', 4]] as const) {
        const status = await worker.client.waitForCompletion(id, { timeoutMs: 15_000 });
        expect(status.output).toEqual(Array.from({ length: n }, (_, i) => `${id}/${i}`));
      }
      const redelivered = runs.filter((r) => r.attempt > 1);
      expect(redelivered.map((r) => [r.key, r.attempt]).sort()).toEqual([
        ['dead/0', 2],
        ['dead/1', 2],
        ['dead/2', 2],
      ]);
      expect(redelivered.filter((r) => r.overlapped), 'redelivered items ran beside other work').toEqual([]);
      const fresh = runs.filter((r) => r.attempt === 1);
      expect(fresh.map((r) => r.key).sort()).toEqual(['fresh/0', 'fresh/1', 'fresh/2', 'fresh/3']);
      expect(fresh.some((r) => r.overlapped), 'fresh work runs in parallel').toBe(true);
    });
  });
}
