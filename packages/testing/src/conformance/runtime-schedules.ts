/**
 * Schedules through the store under test: three runtimes share one hub and
 * race every firing; each due time starts exactly one run, and each run
 * executes once (a run started twice under one id would execute twice).
 */
import { describe, expect, it } from 'vitest';
import { isRepriseError } from '@reprise/core';
import type { OrchestrationContext, OrchestratorFunction } from '@reprise/core';
import type { ConformanceContext } from './context.js';
import { eventually, runtimeStarter } from './runtime-helpers.js';

export function describeRuntimeSchedules(ctx: ConformanceContext): void {
  describe('schedules across runtimes', () => {
    const startRuntime = runtimeStarter(ctx);

    it('three runtimes on one hub start exactly one run per due time', async () => {
      const hub = ctx.hub();
      const executions = new Map<string, number>();
      const options = {
        taskHub: hub,
        activities: {
          Record: (instanceId: string) => {
            executions.set(instanceId, (executions.get(instanceId) ?? 0) + 1);
          },
        },
        orchestrators: {
          Job: function* (c: OrchestrationContext) {
            yield c.callActivity('Record', c.instanceId);
          },
        } satisfies Record<string, OrchestratorFunction>,
      };
      const runtimes = [await startRuntime(options), await startRuntime(options), await startRuntime(options)];
      const [a] = runtimes as [(typeof runtimes)[0]];
      const startAt = Date.now() + 300;
      // Three creates race for one id: one wins.
      const creates = await Promise.allSettled(runtimes.map((r) => r.client.schedules.create({ scheduleId: 'race', orchestrator: 'Job', every: 1000, startAt: new Date(startAt), overlap: 'allow', catchUp: 'all' })));
      expect(creates.filter((c) => c.status === 'fulfilled')).toHaveLength(1);
      for (const c of creates) if (c.status === 'rejected') expect(isRepriseError(c.reason, 'SCHEDULE_EXISTS')).toBe(true);

      const triggered = await runtimes[1]!.client.schedules.trigger('race');
      await eventually(async () => (await a.client.getStatusBy({ scheduleId: 'race', runtimeStatus: ['Completed'] })).length >= 4, { timeoutMs: 20_000 });
      await runtimes[2]!.client.schedules.delete('race');
      const runs = await a.client.getStatusBy({ scheduleId: 'race' });
      for (const run of runs) await a.client.waitForCompletion(run.instanceId, { timeoutMs: 10_000 });

      const ids = runs.map((r) => r.instanceId);
      expect(ids).toContain(triggered);
      const dues = ids.filter((id) => id !== triggered).map((id) => Date.parse(id.slice('race@'.length))).sort((x, y) => x - y);
      // Every due time from startAt on, none missing, none twice.
      expect(dues).toEqual(dues.map((_, k) => startAt + k * 1000));
      expect(executions.size).toBe(runs.length);
      expect([...executions.values()].every((n) => n === 1)).toBe(true);
      expect(await a.client.schedules.get('race')).toBeUndefined();
    });
  });
}
