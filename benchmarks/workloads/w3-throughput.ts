/** W3 throughput: 2,000 orchestrations of 3 sequential activities, started as fast as the client allows. */
import type { OrchestrationContext } from '@reprise/core';
import type { Workload } from '../harness.js';

export const N_ORCHESTRATIONS = 2000;

export const throughputDefinitions = {
  activities: { Step: (x: number) => x + 1 },
  orchestrators: {
    ThreeSteps: function* (ctx: OrchestrationContext<number>): Generator<unknown, number, number> {
      let x = ctx.getInput();
      for (let i = 0; i < 3; i++) x = yield ctx.callActivity('Step', x);
      return x;
    },
  },
};

export const throughput: Workload = {
  name: 'W3 throughput 2000x3',
  definitions: throughputDefinitions,
  async run({ client }) {
    const start = performance.now();
    const ids = await Promise.all(Array.from({ length: N_ORCHESTRATIONS }, (_, i) => client.startNew('ThreeSteps', { input: i })));
    const statuses = await Promise.all(ids.map((id) => client.waitForCompletion(id, { timeoutMs: 600_000 })));
    const ms = performance.now() - start;
    statuses.forEach((s, i) => {
      if (s.output !== i + 3) throw new Error(`W3: instance ${i} output ${String(s.output)}`);
    });
    return { totalMs: ms, perSecond: (N_ORCHESTRATIONS * 1000) / ms };
  },
};
