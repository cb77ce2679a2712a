/** splitEffects: each new action becomes a work item or a message to the right instance. */
import { describe, expect, it } from 'vitest';
import { splitEffects } from '../src/runtime/effects.js';
import { T0, at, record } from './history-builders.js';

const clock = { now: T0, timestamp: at(), newExecutionId: () => 'child-exec' };

describe('splitEffects', () => {
  const instance = record({ status: 'Running' });

  it('turns an activity into a work item of this execution', () => {
    const { activities, messages } = splitEffects([{ kind: 'activity', id: 3, name: 'A', input: '{"json":1}' }], instance, clock);
    expect(activities).toEqual([{ instanceId: 'i1', executionId: 'exec-1', taskScheduledId: 3, name: 'A', input: '{"json":1}' }]);
    expect(messages).toEqual([]);
  });

  it('turns a timer into a self-message visible at its fire time, addressed to this execution', () => {
    const { messages } = splitEffects([{ kind: 'timer', id: 1, fireAt: T0 + 5000 }], instance, clock);
    expect(messages).toEqual([
      { instanceId: 'i1', visibleAt: T0 + 5000, event: { EventType: 'TimerFired', Timestamp: at(), TimerId: 1, FireAt: at(5000), TargetExecutionId: 'exec-1' } },
    ]);
  });

  it('starts a sub-orchestration with its parent recorded, creating it if missing', () => {
    const { messages } = splitEffects([{ kind: 'subOrchestration', id: 2, name: 'Child', instanceId: 'i1:2', input: undefined }], instance, clock);
    expect(messages).toEqual([
      {
        instanceId: 'i1:2',
        event: { EventType: 'ExecutionStarted', Timestamp: at(), Name: 'Child', ExecutionId: 'child-exec', ParentInstance: { InstanceId: 'i1', ExecutionId: 'exec-1', TaskScheduledId: 2 }, EventWaitSteps: true },
        createIfMissing: { instanceId: 'i1:2', kind: 'orchestration', name: 'Child', executionId: 'child-exec', status: 'Pending', createdAt: T0, updatedAt: T0, historyLength: 0, parentInstanceId: 'i1' },
      },
    ]);
  });

  it('sends entity calls with a reply address, signals without, locks along the lock set', () => {
    const { messages } = splitEffects(
      [
        { kind: 'entityRequest', id: 0, request: 'call', entityId: '@c@1', operation: 'get', input: undefined, requestId: 'i1#0' },
        { kind: 'entityRequest', id: 1, request: 'signal', entityId: '@c@1', operation: 'add', input: '{"json":1}', requestId: 'i1#1' },
        { kind: 'entityRequest', id: 2, request: 'lock', entityId: '@a@1', input: undefined, requestId: 'i1#2', lockSet: ['@a@1', '@b@1'] },
      ],
      instance,
      clock,
    );
    expect(messages.map((m) => m.event)).toEqual([
      { EventType: 'EntityOperation', Timestamp: at(), RequestId: 'i1#0', Operation: 'get', ParentInstanceId: 'i1', TargetExecutionId: 'exec-1' },
      { EventType: 'EntityOperation', Timestamp: at(), RequestId: 'i1#1', Operation: 'add', Input: '{"json":1}' },
      { EventType: 'EntityLockRequested', Timestamp: at(), RequestId: 'i1#2', ParentInstanceId: 'i1', LockSet: ['@a@1', '@b@1'], Position: 0 },
    ]);
    expect(messages.every((m) => m.createIfMissing?.kind === 'entity')).toBe(true);
  });
});
