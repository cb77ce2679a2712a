/**
 * Several runtimes racing on the store under test: no step is committed
 * twice, no lease is stolen while held or lapses while its item waits, a
 * stopped runtime's work moves on, and a hung holder's work is taken over
 * by a runtime that was idle before the work existed.
 */
import { describe, expect, it } from 'vitest';
import type { ActivityCompletion, ActivityContext, OrchestrationContext, OrchestratorFunction, Storage } from '@reprise/core';
import { activity, commitFor } from './builders.js';
import type { ConformanceContext } from './context.js';
import { lockOne, startInstance } from './context.js';
import { itWithCapability } from './optional.js';
import { eventually, runtimeStarter, sleep } from './runtime-helpers.js';

/** The same store for a runtime that only runs activities: it never locks (or eagerly takes) instances. */
function activitiesOnly(storage: Storage): Storage {
  return new Proxy(storage, {
    get(target, key, receiver) {
      if (key === 'lockInstances') return async () => ({ items: [] });
      if (key === 'completeActivity') return (hub: string, completion: ActivityCompletion) => target.completeActivity(hub, { ...completion, lockInstance: undefined });
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export function describeRuntimeWorkers(ctx: ConformanceContext): void {
  describe('runtimes racing on one store', () => {
    const startRuntime = runtimeStarter(ctx);

    it('three runtimes on one hub commit every step exactly once', async () => {
      const hub = ctx.hub();
      const executions = new Map<string, number>();
      const options = {
        taskHub: hub,
        activities: {
          Step: async (key: string) => {
            executions.set(key, (executions.get(key) ?? 0) + 1);
            await sleep(Math.random() * 3);
            return key;
          },
        },
        orchestrators: {
          Five: function* (c: OrchestrationContext) {
            const out: string[] = [];
            for (let i = 0; i < 5; i++) out.push(yield c.callActivity('Step', `${c.instanceId}/${i}`));
            return out;
          },
        } satisfies Record<string, OrchestratorFunction>,
      };
      const a = await startRuntime(options);
      await startRuntime(options);
      await startRuntime(options);
      const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => a.client.startNew('Five', { instanceId: `race-${i}` })));
      for (const id of ids) {
        const status = await a.client.waitForCompletion(id, { timeoutMs: 30_000 });
        expect(status.output).toEqual([0, 1, 2, 3, 4].map((i) => `${id}/${i}`));
        const types = (await a.client.getStatus(id, { showHistory: true }))!.history!.map((e) => e.EventType);
        expect(types).toEqual(['ExecutionStarted', ...Array(5).fill(['TaskScheduled', 'TaskCompleted']).flat(), 'ExecutionCompleted']);
      }
      expect(executions.size).toBe(150);
      expect([...executions.values()].every((n) => n === 1)).toBe(true);
    });

    it('a long activity keeps its lease (renewed) while another runtime waits for it', async () => {
      const hub = ctx.hub();
      let runs = 0;
      const options = {
        taskHub: hub,
        // Renewed every 250 ms: a loaded machine must stall the event loop over 250 ms to lose it.
        leaseMs: 500,
        activities: {
          Long: async () => {
            runs++;
            await sleep(1500);
            return 'done';
          },
        },
        orchestrators: {
          Once: function* (c: OrchestrationContext) {
            return yield c.callActivity('Long');
          },
        } satisfies Record<string, OrchestratorFunction>,
      };
      const a = await startRuntime(options);
      const id = await a.client.startNew('Once');
      await eventually(async () => runs === 1);
      const b = await startRuntime(options);
      expect((await b.client.waitForCompletion(id, { timeoutMs: 10_000 })).output).toBe('done');
      expect(runs).toBe(1);
    });

    it('work items leased to a busy runtime keep their lease while they wait for a slot: each runs once, all complete', async () => {
      const hub = ctx.hub();
      const attempts: number[] = [];
      const runtime = await startRuntime({
        taskHub: hub,
        // Two slots, six instances started at once, activities longer than the lease: eager dispatch
        // leases what concurrent episodes ask for, and nothing may wait unrenewed past its lease.
        leaseMs: 600,
        maxConcurrentActivities: 2,
        activities: {
          Long: async (_: unknown, actx: ActivityContext) => {
            attempts.push(actx.attempt);
            await sleep(900);
            return actx.instanceId;
          },
        },
        orchestrators: {
          Once: function* (c: OrchestrationContext) {
            return yield c.callActivity('Long');
          },
        } satisfies Record<string, OrchestratorFunction>,
      });
      const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => runtime.client.startNew('Once', { instanceId: `q${i}` })));
      for (const id of ids) expect((await runtime.client.waitForCompletion(id, { timeoutMs: 15_000 })).output).toBe(id);
      expect(attempts).toEqual([1, 1, 1, 1, 1, 1]);
    });

    itWithCapability(ctx, 'eagerDispatch')('a runtime idle before the work existed takes over a work item leased by eager dispatch to a holder that hung', async () => {
      const hub = ctx.hub();
      const attempts: number[] = [];
      await startRuntime({
        taskHub: hub,
        storage: activitiesOnly(ctx.storage),
        orchestrators: {},
        activities: {
          TestActivity: (_: unknown, actx: ActivityContext) => {
            attempts.push(actx.attempt);
            return 'taken over';
          },
        },
      });
      await sleep(100); // the runtime has looked for work, found none, and sleeps
      // The holder: commits a step, takes its new work item by eager dispatch, and hangs.
      const record = await startInstance(ctx.storage, hub, 'hung');
      const locked = await lockOne(ctx.storage, hub, 'hung');
      const result = await ctx.storage.commitOrchestration(hub, {
        ...commitFor(locked, { append: [locked.messages[0]!.event], activities: [activity('hung', record.executionId, 0)] }),
        lockActivities: { max: 1, leaseMs: 300 },
      });
      expect(result?.activities).toHaveLength(1);
      await eventually(() => attempts.length > 0, { timeoutMs: 5_000, what: 'the idle runtime to take the item over' });
      expect(attempts).toEqual([2]);
    });

    it('durable timers and events work through the store', async () => {
      const runtime = await startRuntime({
        orchestrators: {
          TimerThenEvent: function* (c: OrchestrationContext) {
            const due = c.currentUtcDateTime.getTime() + 200;
            yield c.createTimer(new Date(due));
            const woke = c.currentUtcDateTime.getTime();
            const value = yield c.waitForExternalEvent('Go');
            return { early: woke < due, value };
          },
        } satisfies Record<string, OrchestratorFunction>,
      });
      const id = await runtime.client.startNew('TimerThenEvent');
      await runtime.client.raiseEvent(id, 'Go', 'buffered');
      const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
      expect(status.output).toEqual({ early: false, value: 'buffered' });
    });
  });
}
