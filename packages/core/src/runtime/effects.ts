/**
 * What an episode sends outside its own history: work items for new
 * activities, messages for timers, sub-orchestrations and entities, the
 * parent's answer when an execution ends, and the release of entity locks it
 * held. Pure: the time and new execution ids are arguments.
 */
import type { FailureDetails } from '../errors.js';
import { executionStartedEvent, pendingOrchestrationRecord } from '../events.js';
import type { ParentInstance, Payload } from '../history.js';
import { serialize } from '../serializer.js';
import type { Action } from '../engine/actions.js';
import type { InstanceRecord, NewActivity, NewMessage } from '../storage/types.js';
import { entityRecord } from '../entities/entity-record.js';

/** How an execution ended, as its parent learns it. */
export type EndOutcome = { status: 'completed'; output: Payload } | { status: 'failed'; failure: FailureDetails };

/** The moment and id source of one episode, shared by everything it builds. */
export interface EpisodeClock {
  now: number;
  timestamp: string;
  newExecutionId: () => string;
}

/** Entity signals and lock releases still go out when an execution ends; awaited work does not. */
export function isFireAndForget(action: Action): boolean {
  return action.kind === 'entityRequest' && (action.request === 'signal' || action.request === 'unlock');
}

/** The message that tells a parent orchestration how its sub-orchestration ended. */
export function parentMessage(parent: ParentInstance | undefined, outcome: EndOutcome, timestamp: string): NewMessage[] {
  if (!parent) return [];
  const base = { Timestamp: timestamp, TaskScheduledId: parent.TaskScheduledId, TargetExecutionId: parent.ExecutionId };
  const event =
    outcome.status === 'completed'
      ? { ...base, EventType: 'SubOrchestrationInstanceCompleted' as const, ...(outcome.output !== undefined && { Result: outcome.output }) }
      : { ...base, EventType: 'SubOrchestrationInstanceFailed' as const, Reason: outcome.failure.message, Details: serialize(outcome.failure, 'failure details') };
  return [{ instanceId: parent.InstanceId, event }];
}

/** Locks held when an execution ends are released, whatever the end. */
export function lockReleases(instanceId: string, heldLocks: readonly string[], timestamp: string): NewMessage[] {
  return heldLocks.map((target) => ({
    instanceId: target,
    event: { EventType: 'EntityLockReleased', Timestamp: timestamp, RequestId: `${instanceId}#end`, ParentInstanceId: instanceId, LockSet: [...heldLocks], Position: 0 },
  }));
}

/** Everything an ending execution owes others: its parent's answer and its locks. */
export function endOfExecutionMessages(instanceId: string, parent: ParentInstance | undefined, heldLocks: readonly string[], outcome: EndOutcome, timestamp: string): NewMessage[] {
  return [...parentMessage(parent, outcome, timestamp), ...lockReleases(instanceId, heldLocks, timestamp)];
}

/** What each new action does outside this instance: a work item or a message. */
export function splitEffects(actions: readonly Action[], instance: InstanceRecord, clock: EpisodeClock): { messages: NewMessage[]; activities: NewActivity[] } {
  const { now, timestamp } = clock;
  const messages: NewMessage[] = [];
  const activities: NewActivity[] = [];
  const target = { TargetExecutionId: instance.executionId };
  for (const action of actions) {
    switch (action.kind) {
      case 'activity':
        activities.push({ instanceId: instance.instanceId, executionId: instance.executionId, taskScheduledId: action.id, name: action.name, ...(action.input !== undefined && { input: action.input }) });
        break;
      case 'timer':
        messages.push({
          instanceId: instance.instanceId,
          visibleAt: action.fireAt,
          event: { EventType: 'TimerFired', Timestamp: timestamp, TimerId: action.id, FireAt: new Date(action.fireAt).toISOString(), ...target },
        });
        break;
      case 'subOrchestration': {
        const parent: ParentInstance = { InstanceId: instance.instanceId, ExecutionId: instance.executionId, TaskScheduledId: action.id };
        const executionId = clock.newExecutionId();
        // A child inherits its parent's namespace and version; in a group, it queues rather than being refused (its parent waits for it).
        messages.push({
          instanceId: action.instanceId,
          event: executionStartedEvent({ name: action.name, executionId, input: action.input, parent, timestamp }),
          createIfMissing: pendingOrchestrationRecord({
            instanceId: action.instanceId,
            name: action.name,
            executionId,
            input: action.input,
            now,
            parentInstanceId: instance.instanceId,
            namespace: instance.namespace,
            concurrency: action.concurrency,
            version: instance.version,
          }),
          ...(action.concurrency && { admission: { ...action.concurrency, onFull: 'queue' as const } }),
        });
        break;
      }
      case 'entityRequest':
        messages.push(entityRequestMessage(action, instance, clock));
        break;
      case 'patch':
        break; // a marker in history only
      case 'eventWait':
        // The event comes from outside (raiseEvent); the wait sends nothing.
        break;
    }
  }
  return { messages, activities };
}

function entityRequestMessage(action: Extract<Action, { kind: 'entityRequest' }>, instance: InstanceRecord, { now, timestamp }: EpisodeClock): NewMessage {
  const base = { Timestamp: timestamp, RequestId: action.requestId, ParentInstanceId: instance.instanceId };
  switch (action.request) {
    case 'lock':
      return { instanceId: action.entityId, createIfMissing: entityRecord(action.entityId, now), event: { ...base, EventType: 'EntityLockRequested', LockSet: action.lockSet ?? [action.entityId], Position: 0 } };
    case 'unlock':
      return { instanceId: action.entityId, event: { ...base, EventType: 'EntityLockReleased', LockSet: [action.entityId], Position: 0 } };
    case 'call':
    case 'signal':
      return {
        instanceId: action.entityId,
        createIfMissing: entityRecord(action.entityId, now),
        event: {
          EventType: 'EntityOperation',
          Timestamp: timestamp,
          RequestId: action.requestId,
          Operation: action.operation ?? '',
          ...(action.input !== undefined && { Input: action.input }),
          ...(action.request === 'call' && { ParentInstanceId: instance.instanceId, TargetExecutionId: instance.executionId }),
          ...(action.lockOwner !== undefined && { LockOwner: action.lockOwner }),
        },
      };
  }
}
