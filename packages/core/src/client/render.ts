/**
 * How the client shows an instance: dates as Date, payloads decoded, and
 * history with Durable Task field names. Completion events gain the
 * `FunctionName` and `ScheduledTime` of what they complete, as the Durable
 * Functions HTTP API shows them.
 */
import type { HistoryEvent } from '../history.js';
import { deserialize } from '../serializer.js';
import type { InstanceRecord } from '../storage/types.js';
import type { HistoryEventView, OrchestrationStatus } from '../status-types.js';

const PAYLOAD_FIELDS = ['Input', 'Result', 'Details', 'Reason'] as const;

export function renderStatus(record: InstanceRecord, history: HistoryEvent[] | undefined, options: { showInput: boolean; showHistoryOutput: boolean }): OrchestrationStatus {
  return {
    name: record.name,
    instanceId: record.instanceId,
    createdTime: new Date(record.createdAt),
    lastUpdatedTime: new Date(record.updatedAt),
    input: options.showInput ? deserialize(record.input) : undefined,
    output: deserialize(record.output),
    runtimeStatus: record.status,
    customStatus: deserialize(record.customStatus),
    ...(record.parentInstanceId !== undefined && { parentInstanceId: record.parentInstanceId }),
    ...(record.tags !== undefined && { tags: record.tags }),
    ...(history && { history: renderHistory(history, options.showHistoryOutput) }),
  };
}

export function renderHistory(history: HistoryEvent[], showOutput: boolean): HistoryEventView[] {
  const scheduled = new Map<number, { name: string; time: string }>();
  for (const event of history) {
    if (event.EventType === 'TaskScheduled' || event.EventType === 'SubOrchestrationInstanceCreated') scheduled.set(event.EventId, { name: event.Name, time: event.Timestamp });
  }
  return history.map((event) => {
    const view: HistoryEventView = { ...(event as unknown as HistoryEventView) };
    delete view.TargetExecutionId;
    if ('Name' in event && (event.EventType === 'TaskScheduled' || event.EventType === 'SubOrchestrationInstanceCreated' || event.EventType === 'ExecutionStarted')) view.FunctionName = event.Name;
    if ('TaskScheduledId' in event) {
      const origin = scheduled.get(event.TaskScheduledId);
      if (origin) {
        view.FunctionName = origin.name;
        view.ScheduledTime = origin.time;
      }
    }
    for (const field of PAYLOAD_FIELDS) {
      if (!(field in view)) continue;
      if (field === 'Reason' && event.EventType !== 'ExecutionTerminated' && event.EventType !== 'ExecutionSuspended' && event.EventType !== 'ExecutionResumed' && event.EventType !== 'ExecutionRewound') continue;
      if (showOutput || field === 'Reason') view[field] = safeDeserialize(view[field] as string);
      else delete view[field];
    }
    return view;
  });
}

function safeDeserialize(payload: string | undefined): unknown {
  try {
    return deserialize(payload);
  } catch {
    return payload;
  }
}
