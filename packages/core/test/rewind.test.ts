/** rewindHistory on built histories: what is removed, what is dispatched again. */
import { describe, expect, it } from 'vitest';
import { rewindHistory } from '../src/runtime/rewind.js';
import { h, record } from './history-builders.js';

describe('rewindHistory', () => {
  const instance = record({ status: 'Failed' });
  const rewind = h.rewound();

  it('removes the terminal failure and the unhandled activity failure, and dispatches that activity again', () => {
    const history = [h.started('Flow'), h.taskScheduled(0, 'A', 1), h.taskCompleted(0), h.taskScheduled(1, 'B', 2), h.taskFailed(1, 'boom'), h.failed('boom')];
    const plan = rewindHistory(history, rewind, instance);
    expect(plan.history.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskScheduled', 'TaskCompleted', 'TaskScheduled']);
    expect(plan.activities).toEqual([{ instanceId: 'i1', executionId: 'exec-1', taskScheduledId: 1, name: 'B', input: '{"json":2}' }]);
    expect(plan.messages).toEqual([{ instanceId: 'i1', event: rewind }]);
  });

  it('keeps failures the code handled (followed by a later scheduled action)', () => {
    const history = [h.started('Flow'), h.taskScheduled(0, 'A'), h.taskFailed(0, 'handled'), h.taskScheduled(1, 'B'), h.taskFailed(1, 'fatal'), h.failed('fatal')];
    const plan = rewindHistory(history, rewind, instance);
    expect(plan.history.filter((e) => e.EventType === 'TaskFailed')).toHaveLength(1);
    expect(plan.activities.map((a) => a.taskScheduledId)).toEqual([1]);
  });

  it('rewinds a failed sub-orchestration in turn', () => {
    const history = [h.started('Flow'), h.subCreated(0, 'Child', 'i1:0'), h.subFailed(0, 'child failed'), h.failed('child failed')];
    const plan = rewindHistory(history, rewind, instance);
    expect(plan.history.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'SubOrchestrationInstanceCreated']);
    expect(plan.messages.map((m) => m.instanceId)).toEqual(['i1:0', 'i1']);
  });
});
