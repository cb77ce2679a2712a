/**
 * Several runtimes racing on the store under test: no step is committed
 * twice, no lease is stolen while held, and a stopped runtime's work moves on.
 */
import { describe, expect, it } from 'vitest';
import type { OrchestrationContext, OrchestratorFunction } from '@reprise/core';
import type { ConformanceContext } from './context.js';
import { eventually, runtimeStarter, sleep } from './runtime-helpers.js';

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
