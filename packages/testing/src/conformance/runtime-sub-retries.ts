/**
 * Sub-orchestration retries through a real runtime on the store under test:
 * every attempt runs as the instance the parent chose (as in DTFx and
 * Durable Functions), the failed attempt is replaced when the retry starts
 * (its history purged, no `:retry2` instance), and the parent's history
 * shows each attempt.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEventView, OrchestrationContext } from '@reprise/core';
import type { ConformanceContext } from './context.js';
import { cacheModes, runtimeStarter } from './runtime-helpers.js';

const RETRY = { firstRetryIntervalInMilliseconds: 20, maxNumberOfAttempts: 3 };

export function describeRuntimeSubOrchestrationRetries(ctx: ConformanceContext): void {
  describe.each(cacheModes)('runtime: sub-orchestration retries ($label)', ({ cacheSize }) => {
    const start = runtimeStarter(ctx);

    /** A child that fails until its third execution; `runs` counts executions per child id. */
    function registry(runs: Map<string, number>) {
      return {
        orchestrators: {
          Parent: function* (ctx: OrchestrationContext<string | undefined>) {
            const id = ctx.getInput();
            return (yield ctx.callSubOrchestratorWithRetry('Flaky', RETRY, 'in', ...(id === undefined ? [] : [id]))) as string;
          },
          Flaky: function* (ctx: OrchestrationContext<string>) {
            const attempt = (yield ctx.callActivity('Count', ctx.instanceId)) as number;
            ctx.log.info(`attempt ${attempt}`);
            if (attempt < 3) throw new Error(`attempt ${attempt} failed`);
            return `${ctx.getInput()} ok on ${attempt}`;
          },
        },
        activities: {
          Count: (childId: string) => {
            const n = (runs.get(childId) ?? 0) + 1;
            runs.set(childId, n);
            return n;
          },
        },
      };
    }

    it('runs every attempt as the chosen instance id; the last attempt replaces the failed ones; the parent shows each attempt', async () => {
      const runs = new Map<string, number>();
      const runtime = await start({ cacheSize, ...registry(runs) });
      const parent = await runtime.client.startNew('Parent', { input: 'child-of-parent' });
      const status = await runtime.client.waitForCompletion(parent, { timeoutMs: 20_000 });
      expect(status.runtimeStatus).toBe('Completed');
      expect(status.output).toBe('in ok on 3');
      expect([...runs.keys()]).toEqual(['child-of-parent']);
      const { instances } = await runtime.client.listInstances({});
      expect(instances.map((i) => i.instanceId).sort()).toEqual(['child-of-parent', parent].sort());

      // The child holds only its last execution: one start, one activity, completed.
      const child = await runtime.client.getStatus('child-of-parent', { showHistory: true });
      expect(child).toMatchObject({ runtimeStatus: 'Completed', output: 'in ok on 3', parentInstanceId: parent });
      expect(child!.history!.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskScheduled', 'TaskCompleted', 'ExecutionCompleted']);

      // The parent: three creations of the same child, two failures, two backoff timers, one completion.
      const full = await runtime.client.getStatus(parent, { showHistory: true });
      const history = full!.history! as HistoryEventView[];
      const created = history.filter((e) => e.EventType === 'SubOrchestrationInstanceCreated');
      expect(created.map((e) => [e.InstanceId, e.Attempt ?? 1])).toEqual([
        ['child-of-parent', 1],
        ['child-of-parent', 2],
        ['child-of-parent', 3],
      ]);
      expect(history.filter((e) => e.EventType === 'SubOrchestrationInstanceFailed')).toHaveLength(2);
      expect(history.filter((e) => e.EventType === 'TimerCreated')).toHaveLength(2);
      expect(history.filter((e) => e.EventType === 'SubOrchestrationInstanceCompleted')).toHaveLength(1);
    });

    it('without a chosen id, every attempt runs as the first attempt\'s derived id', async () => {
      const runs = new Map<string, number>();
      const runtime = await start({ cacheSize, ...registry(runs) });
      const parent = await runtime.client.startNew('Parent');
      const status = await runtime.client.waitForCompletion(parent, { timeoutMs: 20_000 });
      expect(status.output).toBe('in ok on 3');
      expect([...runs.keys()]).toEqual([`${parent}:0`]);
      expect((await runtime.client.listInstances({})).instances).toHaveLength(2);
    });

    it('a child that fails every attempt is left Failed with its last attempt, and the parent fails with its error', async () => {
      const runtime = await start({
        cacheSize,
        orchestrators: {
          Parent: function* (ctx: OrchestrationContext) {
            return (yield ctx.callSubOrchestratorWithRetry('Broken', { firstRetryIntervalInMilliseconds: 10, maxNumberOfAttempts: 2 }, undefined, 'broken-child')) as unknown;
          },
          Broken: function* (ctx: OrchestrationContext) {
            yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 1));
            throw new Error('never works');
          },
        },
      });
      const parent = await runtime.client.startNew('Parent');
      const status = await runtime.client.waitForCompletion(parent, { timeoutMs: 20_000 });
      expect(status.runtimeStatus).toBe('Failed');
      expect(JSON.stringify(status.output)).toContain('never works');
      const child = await runtime.client.getStatus('broken-child', { showHistory: true });
      expect(child!.runtimeStatus).toBe('Failed');
      expect(child!.history!.filter((e) => e.EventType === 'ExecutionStarted')).toHaveLength(1);
      expect((await runtime.client.listInstances({})).instances).toHaveLength(2);
    });
  });
}
