/**
 * How the client shows an instance: dates as Date, payloads decoded, and
 * history with Durable Task field names. Completion events gain the
 * `FunctionName` and `ScheduledTime` of what they complete, as the Durable
 * Functions HTTP API shows them.
 *
 * Invariant: a read never fails because of a stored value. A payload that
 * cannot be decoded (not JSON, or superjson meta that does not decode; only a
 * store written by other means holds one) is shown as a `[not shown: …]` note
 * in its place, so one bad row cannot break a status, a list or a history.
 */
import type { HistoryEvent, Payload } from '../history.js';
import { MAX_PAYLOAD_DEPTH, deserialize } from '../serializer.js';
import type { InstanceRecord, QueuePosition } from '../storage/types.js';
import type { HistoryEventView, OrchestrationStatus } from '../status-types.js';
import { withoutTraceTags } from '../observability/trace-context.js';

/** The user's tags: Reprise's own trace tags are not shown. */
const userTags = (record: InstanceRecord) => withoutTraceTags(record.tags);

const PAYLOAD_FIELDS = ['Input', 'Result', 'Details', 'Reason'] as const;

export function renderStatus(
  record: InstanceRecord,
  history: HistoryEvent[] | undefined,
  options: { showInput: boolean; showHistoryOutput: boolean },
  queue?: QueuePosition,
): OrchestrationStatus {
  return {
    name: record.name,
    instanceId: record.instanceId,
    createdTime: new Date(record.createdAt),
    lastUpdatedTime: new Date(record.updatedAt),
    input: options.showInput ? readPayload(record.input) : undefined,
    output: readPayload(record.output),
    runtimeStatus: record.status,
    customStatus: readPayload(record.customStatus),
    ...(record.parentInstanceId !== undefined && { parentInstanceId: record.parentInstanceId }),
    ...(userTags(record) && { tags: userTags(record) }),
    namespace: record.namespace ?? '',
    ...(queue && { queue: { group: queue.group, position: queue.position } }),
    ...(record.version !== undefined && { version: record.version }),
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
    delete (view as { TraceParent?: string }).TraceParent;
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
      if (field === 'Reason' && event.EventType !== 'ExecutionTerminated' && event.EventType !== 'ExecutionSuspended' && event.EventType !== 'ExecutionResumed' && event.EventType !== 'ExecutionRewound' && event.EventType !== 'ExecutionCancelRequested') continue;
      if (showOutput || field === 'Reason') view[field] = readPayload(view[field] as Payload);
      else delete view[field];
    }
    return view;
  });
}

/** The note shown in place of a stored value that cannot be shown; `reason` completes "the stored value …". */
export function notShown(reason: string): string {
  return `[not shown: the stored value ${reason}]`;
}

/** A stored payload decoded, or a note when it cannot be. */
export function readPayload(payload: Payload): unknown {
  try {
    return deserialize(payload);
  } catch (error) {
    // JSON.parse throws SyntaxError; anything else is superjson refusing its meta (or recursing too deep in it).
    return notShown(error instanceof SyntaxError ? 'is not valid JSON' : 'cannot be decoded');
  }
}

/**
 * A decoded value as JSON.stringify can write it: the value itself, or a note
 * in place of one nested deeper than MAX_PAYLOAD_DEPTH (its recursion would
 * overflow) or referring to itself. The client returns such values as they
 * are; writers of JSON (the HTTP API) pass what they show through here.
 */
export function jsonSafeValue(value: unknown): unknown {
  const problem = unwritable(value);
  return problem === undefined ? value : notShown(problem);
}

/** Why `value` cannot be written as JSON, or undefined. Iterative: the value may be arbitrarily deep. */
function unwritable(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const ancestors = new Set<object>();
  const stack: Array<{ value: object; depth: number } | { leave: object }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if ('leave' in top) {
      ancestors.delete(top.leave);
      continue;
    }
    const { value: obj, depth } = top;
    if (depth > MAX_PAYLOAD_DEPTH) return `is nested more than ${MAX_PAYLOAD_DEPTH} levels deep`;
    if (ancestors.has(obj)) return 'refers to itself';
    ancestors.add(obj);
    stack.push({ leave: obj });
    for (const child of childrenOf(obj)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
    }
  }
  return undefined;
}

function childrenOf(obj: object): Iterable<unknown> {
  if (Array.isArray(obj)) return obj;
  if (obj instanceof Map) return [...obj.keys(), ...obj.values()];
  if (obj instanceof Set) return obj;
  if (obj instanceof Date || ArrayBuffer.isView(obj)) return [];
  return Object.values(obj);
}
