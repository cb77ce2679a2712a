/**
 * Builders for the history events and instance rows that several parts of
 * the engine write: the client (a new instance), the episode planner
 * (continue-as-new, sub-orchestrations, the end of an execution), entities
 * (an orchestration started by a signal) and the determinism simulator in
 * `@reprise/testing`. One builder per shape, so a field is added once.
 */
import type { FailureDetails } from './errors.js';
import type { ExecutionCompletedEvent, ExecutionFailedEvent, ExecutionStartedEvent, ParentInstance, Payload } from './history.js';
import { serialize } from './serializer.js';
import type { ConcurrencyGroup, InstanceRecord } from './storage/types.js';

export function executionStartedEvent(start: { name: string; executionId: string; input?: Payload; parent?: ParentInstance | undefined; timestamp: string }): ExecutionStartedEvent {
  return {
    EventType: 'ExecutionStarted',
    Timestamp: start.timestamp,
    Name: start.name,
    ExecutionId: start.executionId,
    ...(start.input !== undefined && { Input: start.input }),
    ...(start.parent && { ParentInstance: start.parent }),
    // Every execution started from now on numbers its event waits (see ExecutionStartedEvent).
    EventWaitSteps: true,
  };
}

export function executionCompletedEvent(output: Payload, timestamp: string): ExecutionCompletedEvent {
  return { EventType: 'ExecutionCompleted', Timestamp: timestamp, OrchestrationStatus: 'Completed', ...(output !== undefined && { Result: output }) };
}

/** The end of an execution canceled by a request it did not catch; `Result` is the request's reason. */
export function executionCanceledEvent(reason: Payload, timestamp: string): ExecutionCompletedEvent {
  return { EventType: 'ExecutionCompleted', Timestamp: timestamp, OrchestrationStatus: 'Canceled', ...(reason !== undefined && { Result: reason }) };
}

export function executionFailedEvent(failure: FailureDetails, timestamp: string): ExecutionFailedEvent {
  return { EventType: 'ExecutionFailed', Timestamp: timestamp, OrchestrationStatus: 'Failed', Reason: failure.message, Details: serialize(failure, 'failure details') };
}

/** The row of an orchestration that has been asked to start and has not run yet. */
export function pendingOrchestrationRecord(start: {
  instanceId: string;
  name: string;
  executionId: string;
  input?: Payload;
  now: number;
  parentInstanceId?: string | undefined;
  tags?: Record<string, string> | undefined;
  namespace?: string | undefined;
  concurrency?: ConcurrencyGroup | undefined;
  version?: string | undefined;
}): InstanceRecord {
  return {
    instanceId: start.instanceId,
    kind: 'orchestration',
    name: start.name,
    executionId: start.executionId,
    status: 'Pending',
    ...(start.input !== undefined && { input: start.input }),
    createdAt: start.now,
    updatedAt: start.now,
    historyLength: 0,
    ...(start.parentInstanceId !== undefined && { parentInstanceId: start.parentInstanceId }),
    ...(start.tags !== undefined && { tags: start.tags }),
    ...(start.namespace && { namespace: start.namespace }),
    ...(start.concurrency && { concurrency: start.concurrency }),
    ...(start.version !== undefined && { version: start.version }),
  };
}
