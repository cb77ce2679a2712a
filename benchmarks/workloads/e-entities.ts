/**
 * Entity throughput: 10,000 signals to one entity, and 10,000 signals spread
 * over 1,000 entities; operations per second from the first signal to the
 * last operation applied.
 */
import { entityId } from '@reprise/core';
import type { EntityContext } from '@reprise/core';
import type { Workload } from '../harness.js';

const SIGNALS = 10_000;

function signals(entities: number): Workload {
  return {
    name: `E signals 10k to ${entities} ent`,
    definitions: {
      orchestrators: {},
      entities: {
        Counter: (ctx: EntityContext<number>) => ctx.setState((ctx.getState(() => 0) ?? 0) + ctx.getInput<number>()),
      },
    },
    async run({ client }) {
      const start = performance.now();
      const perEntity = SIGNALS / entities;
      // The client sends as fast as it can, a few hundred in flight at a time.
      for (let batch = 0; batch < SIGNALS; batch += 500) {
        await Promise.all(Array.from({ length: 500 }, (_, i) => client.signalEntity(entityId('Counter', `c${(batch + i) % entities}`), 'add', 1)));
      }
      for (let e = 0; e < entities; e++) {
        for (;;) {
          const { entityState } = await client.readEntityState<number>(entityId('Counter', `c${e}`));
          if (entityState === perEntity) break;
          await new Promise((r) => setTimeout(r, 2));
        }
      }
      const ms = performance.now() - start;
      return { totalMs: ms, perSecond: (SIGNALS * 1000) / ms };
    },
  };
}

export const entityWorkloads: Workload[] = [signals(1), signals(1000)];
