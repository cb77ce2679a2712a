/**
 * Q1 concurrency groups: 2,000 orchestrations of 3 sequential activities in
 * 20 groups of limit 5, started at once. Reports throughput and the most
 * instances of one group ever seen running at once (between their first and
 * last step), which must never exceed 5.
 */
import { defineOrchestrator } from '@reprise/core';
import type { OrchestrationContext } from '@reprise/core';
import type { Workload } from '../harness.js';

const N = 2000;
const GROUPS = 20;
const LIMIT = 5;

const running = new Map<string, number>();
let maxRunning = 0;

const grouped = defineOrchestrator(
  'GroupedThreeSteps',
  function* (ctx: OrchestrationContext<{ group: string; x: number }>): Generator<unknown, number, number> {
    const { group, x } = ctx.getInput();
    let value = x;
    for (let step = 0; step < 3; step++) value = yield ctx.callActivity('GroupStep', { group, step, value });
    return value;
  },
  { concurrency: (input) => ({ group: input.group, limit: LIMIT }) },
);

export const groups: Workload = {
  name: 'Q1 groups 2000x3, 20x5',
  definitions: {
    activities: {
      GroupStep: ({ group, step, value }: { group: string; step: number; value: number }) => {
        if (step === 0) {
          const now = (running.get(group) ?? 0) + 1;
          running.set(group, now);
          maxRunning = Math.max(maxRunning, now);
        }
        // Leaves before the terminal commit frees the slot: the count can only understate, never overstate.
        if (step === 2) running.set(group, running.get(group)! - 1);
        return value + 1;
      },
    },
    orchestrators: [grouped],
  },
  async run({ client }) {
    running.clear();
    maxRunning = 0;
    const start = performance.now();
    const ids = await Promise.all(Array.from({ length: N }, (_, i) => client.startNew(grouped, { input: { group: `g${i % GROUPS}`, x: i } })));
    const statuses = await Promise.all(ids.map((id) => client.waitForCompletion(id, { timeoutMs: 600_000 })));
    const ms = performance.now() - start;
    statuses.forEach((s, i) => {
      if (s.output !== i + 3) throw new Error(`Q1: instance ${i} output ${String(s.output)}`);
    });
    if (maxRunning > LIMIT) throw new Error(`Q1: ${maxRunning} instances of one group ran at once (limit ${LIMIT})`);
    return { totalMs: ms, perSecond: (N * 1000) / ms, maxRunningPerGroup: maxRunning };
  },
};
