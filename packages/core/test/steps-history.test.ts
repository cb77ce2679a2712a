/**
 * `previous` in history: recorded at scheduling time, never compared on
 * replay, so a history written before the field existed replays unchanged
 * (and its steps read `previous: []`).
 */
import { describe, expect, it } from 'vitest';
import { OrchestrationExecutor, scheduledEvent } from '@reprise/core/internal';
import type { OrchestratorFunction } from '@reprise/core';
import { h } from './history-builders.js';

const chain: OrchestratorFunction = function* (ctx) {
  const a = yield ctx.callActivity('A');
  const [b, c] = yield ctx.all([ctx.callActivity('B', a), ctx.callActivity('C', a)]);
  return yield ctx.callActivity('D', [b, c]);
};

const run = (events: Parameters<OrchestrationExecutor['apply']>[0]) => {
  const executor = new OrchestrationExecutor('i1', chain, { maxPayloadBytes: 1 << 20 });
  executor.apply(events, true);
  return executor;
};

describe('previous in history', () => {
  it('records what the code consumed since it last scheduled, in the scheduling events', () => {
    const executor = new OrchestrationExecutor('i1', chain, { maxPayloadBytes: 1 << 20 });
    const recorded = [];
    executor.apply([h.started('Chain')], false);
    recorded.push(...executor.takeNewActions());
    // Each episode: the completions that arrived (the planner itself appends the scheduling events).
    executor.apply([h.taskCompleted(0, 1)], false);
    recorded.push(...executor.takeNewActions());
    executor.apply([h.taskCompleted(2, 3), h.taskCompleted(1, 2)], false);
    recorded.push(...executor.takeNewActions());
    expect(recorded.map((a) => scheduledEvent(a, 't')).map((e) => (e as { Previous?: number[] }).Previous)).toEqual([undefined, [0], [0], [1, 2]]);
  });

  it('a history without Previous (written before it existed) replays to the same end', () => {
    const old = [h.started('Chain'), h.taskScheduled(0, 'A'), h.taskCompleted(0, 1), h.taskScheduled(1, 'B', 1), h.taskScheduled(2, 'C', 1), h.taskCompleted(1, 2), h.taskCompleted(2, 3), h.taskScheduled(3, 'D', [2, 3]), h.taskCompleted(3, 'done')];
    const executor = run(old);
    expect(executor.outcome).toMatchObject({ status: 'completed' });
  });

  it('replay does not compare Previous: a recorded value the code would not give still replays', () => {
    const odd = [h.started('Chain'), { ...h.taskScheduled(0, 'A'), Previous: [7] }, h.taskCompleted(0, 1), { ...h.taskScheduled(1, 'B', 1), Previous: [] }, h.taskScheduled(2, 'C', 1)];
    const executor = run(odd);
    expect(executor.outcome).toEqual({ status: 'running' });
  });
});
