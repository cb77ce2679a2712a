/** W4 timers: 500 orchestrations each sleeping 100 ms on a durable timer. */
import type { OrchestrationContext } from '@reprise/core';
import type { Workload } from '../harness.js';

const N = 500;
const SLEEP_MS = 100;

export const timers: Workload = {
  name: 'W4 timers 500x100ms',
  definitions: {
    orchestrators: {
      Sleep: function* (ctx: OrchestrationContext<number>): Generator<unknown, string, unknown> {
        yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + ctx.getInput()));
        return 'awake';
      },
    },
  },
  async run({ client }) {
    const start = performance.now();
    const ids = await Promise.all(Array.from({ length: N }, () => client.startNew('Sleep', { input: SLEEP_MS })));
    await Promise.all(ids.map((id) => client.waitForCompletion(id, { timeoutMs: 600_000 })));
    const ms = performance.now() - start;
    return { totalMs: ms, overheadMs: ms - SLEEP_MS };
  },
};
