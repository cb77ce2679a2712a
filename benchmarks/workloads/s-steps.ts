/**
 * S steps: what the step view costs. W1 with one `reportProgress` per step
 * (µs per step, to compare with W1 N=1000), and `getSteps` on an instance
 * with 1,000 steps (ms per read, median of 5 reads).
 */
import type { ActivityContext, OrchestrationContext } from '@reprise/core';
import type { Workload } from '../harness.js';

const definitions = {
  activities: {
    Inc: (x: number) => x + 1,
    IncProgress: async (x: number, actx: ActivityContext) => {
      await actx.reportProgress(50, 'half way');
      return x + 1;
    },
  },
  orchestrators: {
    Chain: function* (ctx: OrchestrationContext<{ n: number; activity: string }>): Generator<unknown, number, number> {
      let x = 0;
      const { n, activity } = ctx.getInput();
      for (let i = 0; i < n; i++) x = yield ctx.callActivity(activity, x);
      return x;
    },
  },
};

export function chainWithProgress(n: number): Workload {
  return {
    name: `S W1+progress N=${n}`,
    definitions,
    async run({ client }) {
      const start = performance.now();
      const id = await client.startNew('Chain', { input: { n, activity: 'IncProgress' } });
      const status = await client.waitForCompletion(id, { timeoutMs: 600_000 });
      const ms = performance.now() - start;
      if (status.output !== n) throw new Error(`S: expected ${n}, got ${String(status.output)}`);
      return { totalMs: ms, usPerStep: (ms * 1000) / n };
    },
  };
}

export function getStepsOf(n: number): Workload {
  return {
    name: `S getSteps of ${n} steps`,
    definitions,
    async run({ client }) {
      const id = await client.startNew('Chain', { input: { n, activity: 'Inc' } });
      await client.waitForCompletion(id, { timeoutMs: 600_000 });
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        const steps = await client.getSteps(id);
        times.push(performance.now() - start);
        if (steps?.length !== n) throw new Error(`S: expected ${n} steps, got ${steps?.length}`);
      }
      times.sort((a, b) => a - b);
      return { getStepsMs: times[2]! };
    },
  };
}
