/**
 * Facts read from a stored history without running any orchestrator code:
 * what the poison path needs to end an instance whose replay may be what
 * kills its workers.
 */
import type { HistoryEvent, ParentInstance } from '../history.js';

/** The parent recorded by the execution's ExecutionStarted, if it is a sub-orchestration. */
export function parentOf(events: readonly HistoryEvent[]): ParentInstance | undefined {
  for (const event of events) if (event.EventType === 'ExecutionStarted') return event.ParentInstance;
  return undefined;
}

/**
 * The entities an execution holds locked at the end of its history: the
 * lock set of the last granted lock request, less those it has unlocked.
 * Histories written before lock sets were recorded name only the first entity.
 */
export function heldLocksOf(events: readonly HistoryEvent[]): string[] {
  let requested: { requestId: string; lockSet: string[] } | undefined;
  let held: string[] = [];
  for (const event of events) {
    if (event.EventType === 'EntityRequestSent' && event.Kind === 'lock') {
      requested = { requestId: event.RequestId, lockSet: event.LockSet ?? [event.EntityId] };
    } else if (event.EventType === 'EntityResponse' && requested?.requestId === event.RequestId) {
      if (event.Reason === undefined) held = requested.lockSet;
      requested = undefined;
    } else if (event.EventType === 'EntityRequestSent' && event.Kind === 'unlock') {
      held = held.filter((entity) => entity !== event.EntityId);
    }
  }
  return held;
}
