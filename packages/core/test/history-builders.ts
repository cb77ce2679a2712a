/**
 * History builders for unit tests of the replay engine and the episode
 * planner: each returns one event with a fixed timestamp, payloads given as
 * values (serialized here). Tests read as the history they describe.
 */
import { serialize } from '@reprise/core';
import type { HistoryEvent, InstanceRecord, LockedInstance, ParentInstance } from '@reprise/core';

export const T0 = Date.UTC(2024, 0, 1);
export const at = (ms = 0): string => new Date(T0 + ms).toISOString();
const payload = (value: unknown) => serialize(value, 'test payload');

export const h = {
  started: (name: string, input?: unknown, options: { executionId?: string; parent?: ParentInstance; ms?: number } = {}): HistoryEvent => ({
    EventType: 'ExecutionStarted',
    Timestamp: at(options.ms),
    Name: name,
    ExecutionId: options.executionId ?? 'exec-1',
    ...(input !== undefined && { Input: payload(input) }),
    ...(options.parent && { ParentInstance: options.parent }),
  }),
  taskScheduled: (id: number, name: string, input?: unknown): HistoryEvent => ({ EventType: 'TaskScheduled', Timestamp: at(), EventId: id, Name: name, ...(input !== undefined && { Input: payload(input) }) }),
  taskCompleted: (id: number, result?: unknown, ms = 0): HistoryEvent => ({ EventType: 'TaskCompleted', Timestamp: at(ms), TaskScheduledId: id, ...(result !== undefined && { Result: payload(result) }) }),
  taskFailed: (id: number, message: string, name = 'Error'): HistoryEvent => ({ EventType: 'TaskFailed', Timestamp: at(), TaskScheduledId: id, Reason: message, Details: payload({ name, message }) }),
  timerCreated: (id: number, fireAtMs: number): HistoryEvent => ({ EventType: 'TimerCreated', Timestamp: at(), EventId: id, FireAt: at(fireAtMs) }),
  timerFired: (id: number, fireAtMs: number): HistoryEvent => ({ EventType: 'TimerFired', Timestamp: at(fireAtMs), TimerId: id, FireAt: at(fireAtMs) }),
  subCreated: (id: number, name: string, instanceId: string): HistoryEvent => ({ EventType: 'SubOrchestrationInstanceCreated', Timestamp: at(), EventId: id, Name: name, InstanceId: instanceId }),
  subCompleted: (id: number, result?: unknown): HistoryEvent => ({ EventType: 'SubOrchestrationInstanceCompleted', Timestamp: at(), TaskScheduledId: id, ...(result !== undefined && { Result: payload(result) }) }),
  subFailed: (id: number, message: string): HistoryEvent => ({ EventType: 'SubOrchestrationInstanceFailed', Timestamp: at(), TaskScheduledId: id, Reason: message, Details: payload({ name: 'Error', message }) }),
  eventRaised: (name: string, input?: unknown): HistoryEvent => ({ EventType: 'EventRaised', Timestamp: at(), Name: name, ...(input !== undefined && { Input: payload(input) }) }),
  suspended: (): HistoryEvent => ({ EventType: 'ExecutionSuspended', Timestamp: at() }),
  resumed: (): HistoryEvent => ({ EventType: 'ExecutionResumed', Timestamp: at() }),
  terminated: (reason?: unknown): HistoryEvent => ({ EventType: 'ExecutionTerminated', Timestamp: at(), ...(reason !== undefined && { Reason: payload(reason) }) }),
  rewound: (): HistoryEvent => ({ EventType: 'ExecutionRewound', Timestamp: at() }),
  failed: (message: string): HistoryEvent => ({ EventType: 'ExecutionFailed', Timestamp: at(), OrchestrationStatus: 'Failed', Reason: message, Details: payload({ name: 'Error', message }) }),
  patch: (id: number, patchId: string): HistoryEvent => ({ EventType: 'PatchMarker', Timestamp: at(), EventId: id, PatchId: patchId }),
  completed: (result?: unknown): HistoryEvent => ({ EventType: 'ExecutionCompleted', Timestamp: at(), OrchestrationStatus: 'Completed', ...(result !== undefined && { Result: payload(result) }) }),
};

export function record(overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return { instanceId: 'i1', kind: 'orchestration', name: 'Flow', executionId: 'exec-1', status: 'Pending', createdAt: T0, updatedAt: T0, historyLength: 0, ...overrides };
}

/** A locked instance as the store hands it out, with its new messages. */
export function locked(instance: InstanceRecord, events: HistoryEvent[], deliveries = 1): LockedInstance {
  return { instance, lockToken: 'token', deliveries, messages: events.map((event, i) => ({ id: `m${i}`, instanceId: instance.instanceId, event })) };
}
