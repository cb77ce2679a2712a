/** W1 sequential chain: one orchestration of N sequential activities, each returning x + 1. */
import type { OrchestrationContext } from '@reprise/core';
import type { Workload } from '../harness.js';

export const chainDefinitions = {
  activities: { Inc: (x: number) => x + 1 },
  orchestrators: {
    Chain: function* (ctx: OrchestrationContext<number>): Generator<unknown, number, number> {
      let x = 0;
      for (let i = 0; i < ctx.getInput(); i++) x = yield ctx.callActivity('Inc', x);
      return x;
    },
  },
};

export function chain(n: number): Workload {
  return {
    name: `W1 chain N=${n}`,
    definitions: chainDefinitions,
    async run({ client }) {
      const start = performance.now();
      const id = await client.startNew('Chain', { input: n });
      const status = await client.waitForCompletion(id, { timeoutMs: 600_000 });
      const ms = performance.now() - start;
      if (status.output !== n) throw new Error(`W1: expected ${n}, got ${String(status.output)}`);
      return { totalMs: ms, usPerStep: (ms * 1000) / n };
    },
  };
}
