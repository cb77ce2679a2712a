/** W2 fan-out/fan-in: one orchestration starting 1,000 activities at once and summing their results. */
import type { OrchestrationContext } from '@reprise/core';
import type { Workload } from '../harness.js';

const N = 1000;

export const fanOut: Workload = {
  name: 'W2 fan-out 1000',
  definitions: {
    activities: { Value: (i: number) => i },
    orchestrators: {
      FanOut: function* (ctx: OrchestrationContext<number>): Generator<unknown, number, number[]> {
        const results = yield ctx.all(Array.from({ length: ctx.getInput() }, (_, i) => ctx.callActivity('Value', i)));
        return results.reduce((a, b) => a + b, 0);
      },
    },
  },
  async run({ client }) {
    const start = performance.now();
    const id = await client.startNew('FanOut', { input: N });
    const status = await client.waitForCompletion(id, { timeoutMs: 600_000 });
    const ms = performance.now() - start;
    if (status.output !== (N * (N - 1)) / 2) throw new Error(`W2: wrong sum ${String(status.output)}`);
    return { totalMs: ms };
  },
};
