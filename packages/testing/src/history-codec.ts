/**
 * Rendered history (as `client.getStatus(id, { showHistory: true,
 * showHistoryOutput: true })` returns it) back to stored history events:
 * decoded payloads re-serialized with core's serializer, the fields the
 * renderer adds (FunctionName, ScheduledTime) removed.
 */
import { InvalidArgumentError, serialize } from '@reprise/core';
import type { HistoryEvent, HistoryEventView } from '@reprise/core';

/** What replayHistory accepts: the rendered events, the whole status, or either as JSON text. */
export type RecordedHistory = readonly HistoryEventView[] | { history?: readonly HistoryEventView[]; instanceId?: string; name?: string } | string;

const DECODED_ALWAYS = new Set(['ExecutionTerminated', 'ExecutionSuspended', 'ExecutionResumed', 'ExecutionRewound']);

export interface ParsedHistory {
  events: HistoryEvent[];
  instanceId: string | undefined;
  name: string | undefined;
}

export function parseRecordedHistory(recorded: RecordedHistory): ParsedHistory {
  let value: unknown = recorded;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (cause) {
      throw new InvalidArgumentError(`the history text is not JSON: ${(cause as Error).message}`, { cause });
    }
  }
  let instanceId: string | undefined;
  let name: string | undefined;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const status = value as { history?: unknown; instanceId?: unknown; name?: unknown };
    if (typeof status.instanceId === 'string') instanceId = status.instanceId;
    if (typeof status.name === 'string') name = status.name;
    value = status.history;
    if (value === undefined) throw new InvalidArgumentError('the status has no history: get it with getStatus(id, { showHistory: true, showHistoryOutput: true })');
  }
  if (!Array.isArray(value)) throw new InvalidArgumentError('a history is an array of events, as getStatus(id, { showHistory: true, showHistoryOutput: true }) returns it');
  const events = value.map((view, index) => toHistoryEvent(view, index));
  return { events, instanceId, name };
}

function toHistoryEvent(view: unknown, index: number): HistoryEvent {
  if (!view || typeof view !== 'object' || typeof (view as HistoryEventView).EventType !== 'string') {
    throw new InvalidArgumentError(`history event #${index} has no EventType`);
  }
  const event: Record<string, unknown> = { ...(view as HistoryEventView) };
  delete event.FunctionName;
  delete event.ScheduledTime;
  const type = event.EventType as string;
  const timestamp = event.Timestamp;
  if (timestamp instanceof Date) event.Timestamp = timestamp.toISOString();
  else if (typeof timestamp !== 'string' || Number.isNaN(Date.parse(timestamp))) throw new InvalidArgumentError(`history event #${index} (${type}) has no valid Timestamp`);
  for (const field of ['Input', 'Result', 'Details'] as const) {
    if (field in event) event[field] = serialize(event[field], `${field} of history event #${index}`);
  }
  // Reason is a decoded payload on these four; on failures it is the plain message.
  if ('Reason' in event && DECODED_ALWAYS.has(type)) event.Reason = serialize(event.Reason, `Reason of history event #${index}`);
  for (const key of Object.keys(event)) if (event[key] === undefined) delete event[key];
  return event as unknown as HistoryEvent;
}
