/** W5 event round trip: 200 orchestrations each waiting for an external event; raiseEvent → observed completion. */
import type { OrchestrationContext } from '@reprise/core';
import type { Workload } from '../harness.js';

const N = 200;

export const events: Workload = {
  name: 'W5 event round trip 200',
  definitions: {
    orchestrators: {
      AwaitEvent: function* (ctx: OrchestrationContext): Generator<unknown, unknown, unknown> {
        return yield ctx.waitForExternalEvent('Go');
      },
    },
  },
  async run({ client }) {
    const ids = await Promise.all(Array.from({ length: N }, () => client.startNew('AwaitEvent')));
    // Let every instance reach its wait first, so only the round trip is timed.
    for (const id of ids) {
      for (;;) {
        const status = await client.getStatus(id);
        if (status?.runtimeStatus === 'Running') break;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    const latencies: number[] = [];
    for (const id of ids) {
      const start = performance.now();
      await client.raiseEvent(id, 'Go', 1);
      await client.waitForCompletion(id, { timeoutMs: 60_000 });
      latencies.push(performance.now() - start);
    }
    latencies.sort((a, b) => a - b);
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
    return { p50Ms: at(50), p99Ms: at(99) };
  },
};
